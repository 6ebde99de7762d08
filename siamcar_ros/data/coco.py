"""COCO instances: ``annotations/instances_<split>.json`` and ``<split>/<file_name>``; every
non-crowd instance is a still-image training sequence."""
from __future__ import annotations

import json
from pathlib import Path

from .common import DatasetError, FileSequences, valid_box


def read_coco(root: str | Path, split: str = "train2017", min_size: float = 4.0) -> FileSequences:
    """COCO instances: one still-image sequence per non-crowd object."""
    root = Path(root)
    annotation_file = root / "annotations" / f"instances_{split}.json"
    if not annotation_file.is_file():
        raise DatasetError(f"COCO annotation file {annotation_file} does not exist")
    try:
        content = json.loads(annotation_file.read_text())
        images = {image["id"]: image["file_name"] for image in content["images"]}
        annotations = content["annotations"]
    except (ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{annotation_file} is not a COCO instances file: {error}") from error
    frame_paths, boxes = [], []
    for annotation in annotations:
        box = valid_box(annotation["bbox"])
        if annotation.get("iscrowd") or box is None or min(box[2], box[3]) < min_size:
            continue
        if annotation["image_id"] not in images:
            raise DatasetError(f"{annotation_file}: annotation {annotation.get('id')} refers to "
                               f"unknown image {annotation['image_id']}")
        frame_paths.append([root / split / images[annotation["image_id"]]])
        boxes.append([box])
    return FileSequences("coco", frame_paths, boxes)
