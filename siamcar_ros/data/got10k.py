"""GOT-10k: ``<root>/<split>/list.txt``, ``<seq>/00000001.jpg``, ``groundtruth.txt`` (test: first
line only), ``absence.label``, ``cover.label`` (absent where cover is 0), ``meta_info.ini``."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .common import (DatasetError, Protocol, TrackingDataset, TrackingSequence,
                     absent_where_unknown, check_frame_count, images_in, read_boxes, read_flags,
                     require_dir)


def read_got10k(root: Path, split: str = "val") -> TrackingDataset:
    if split not in ("val", "test", "train"):
        raise DatasetError(f"GOT-10k split must be val, test or train, got {split!r}")
    root = require_dir(root, "GOT-10k")
    split_dir = root / split if (root / split / "list.txt").is_file() else root
    list_path = split_dir / "list.txt"
    if not list_path.is_file():
        raise DatasetError(f"{list_path}: GOT-10k sequence list not found (expected "
                           f"{root}/{split}/list.txt)")
    sequences = [_got10k_sequence(split_dir / name, split)
                 for name in list_path.read_text().split()]
    protocol = Protocol(skip_first_frame=True, clip_to_image=True, submission="got10k")
    return TrackingDataset(f"got10k-{split}", root, sequences, protocol)


def _got10k_sequence(folder: Path, split: str) -> TrackingSequence:
    gt_path = folder / "groundtruth.txt"
    frames = images_in(folder)
    boxes = read_boxes(gt_path)
    if split == "test":
        known = boxes[:1]
        boxes = np.full((len(frames), 4), np.nan)
        boxes[0] = known[0]
        return TrackingSequence(folder.name, frames, boxes, np.zeros(len(frames), bool),
                                image_size=_got10k_resolution(folder))
    check_frame_count(frames, boxes, gt_path)
    absent = absent_where_unknown(boxes)
    frame_attributes = {}
    if (folder / "cover.label").is_file():
        cover = read_flags(folder / "cover.label", len(boxes))
        frame_attributes["cover"] = cover
        absent |= cover == 0
    if (folder / "absence.label").is_file():
        absence = read_flags(folder / "absence.label", len(boxes)).astype(bool)
        frame_attributes["absence"] = absence
        absent |= absence
    return TrackingSequence(folder.name, frames, boxes, absent,
                            image_size=_got10k_resolution(folder),
                            frame_attributes=frame_attributes)


def _got10k_resolution(folder: Path) -> tuple[int, int] | None:
    meta = folder / "meta_info.ini"
    if not meta.is_file():
        return None
    for line_number, line in enumerate(meta.read_text().splitlines(), start=1):
        if line.startswith("resolution:"):
            numbers = re.findall(r"\d+", line)
            if len(numbers) != 2:
                raise DatasetError(f"{meta}:{line_number}: expected 'resolution: (W, H)'")
            return int(numbers[0]), int(numbers[1])
    return None
