"""UAV123 / UAV20L: ``<root>/anno/UAV123/<seq>.txt`` + ``<root>/data_seq/UAV123/<folder>/000001.jpg``;
split sequences (``bird1_2``) start part-way into their folder; NaN rows are absent."""
from __future__ import annotations

import re
from pathlib import Path

from .common import (DatasetError, TrackingDataset, TrackingSequence, absent_where_unknown,
                     check_frame_count, images_in, read_boxes, require_dir)


# Split UAV123 sequences live in one image folder; these are the first frames (1-based) of
# each part. The part's last frame follows from the number of lines in its annotation.
UAV123_SPLIT_STARTS = {
    "bird1": (1, 775, 1573), "car1": (1, 751, 1627), "car6": (1, 487, 1807, 2953, 3925),
    "car8": (1, 1357), "car16": (1, 415), "group1": (1, 1333, 2515, 3925),
    "group2": (1, 907, 1771), "group3": (1, 1567, 2827, 4369), "person2": (1, 1189),
    "person4": (1, 1501), "person5": (1, 877), "person7": (1, 1249), "person8": (1, 1075),
    "person12": (1, 601), "person14": (1, 847, 1813), "person17": (1, 1501),
    "person19": (1, 1243, 2791), "truck4": (1, 577), "uav1": (1, 1555, 2473),
}


def read_uav123(root: Path, version: str = "UAV123",
                split_starts: dict[str, tuple[int, ...]] | None = None) -> TrackingDataset:
    """UAV123 (or UAV20L with version="UAV20L"); split_starts overrides UAV123_SPLIT_STARTS."""
    root = require_dir(root, "UAV123")
    split_starts = UAV123_SPLIT_STARTS if split_starts is None else split_starts
    anno_dir = root / "anno" / version
    if not anno_dir.is_dir():
        raise DatasetError(f"{anno_dir}: UAV123 annotation folder not found "
                           f"(expected {root}/anno/{version}/<seq>.txt)")
    sequences = []
    for gt_path in sorted(anno_dir.glob("*.txt")):
        boxes = read_boxes(gt_path, allow_nan=True)
        folder, start = _uav123_folder_and_start(gt_path, split_starts)
        frames = images_in(root / "data_seq" / version / folder)
        frames = frames[start - 1:start - 1 + len(boxes)]
        check_frame_count(frames, boxes, gt_path)
        sequences.append(TrackingSequence(gt_path.stem, frames, boxes,
                                          absent_where_unknown(boxes)))
    if not sequences:
        raise DatasetError(f"{anno_dir}: no annotation files")
    return TrackingDataset(version.lower(), root, sequences)


def _uav123_folder_and_start(gt_path: Path, split_starts: dict) -> tuple[str, int]:
    match = re.fullmatch(r"(.+)_(\d+)", gt_path.stem)
    if not match or match.group(1) not in split_starts:
        return gt_path.stem, 1
    folder, part = match.group(1), int(match.group(2))
    starts = split_starts[folder]
    if not 1 <= part <= len(starts):
        raise DatasetError(f"{gt_path}: {folder} has parts 1..{len(starts)}, not {part}")
    return folder, starts[part - 1]
