"""LaSOT: ``<root>/<category>/<seq>/img/00000001.jpg``, ``groundtruth.txt``,
``full_occlusion.txt`` and ``out_of_view.txt`` (absent = either); ``testing_set.txt`` at the
root, when present, selects the test sequences."""
from __future__ import annotations

from pathlib import Path

from .common import (DatasetError, TrackingDataset, TrackingSequence, absent_where_unknown,
                     check_frame_count, images_in, read_boxes, read_flags, require_dir)


def read_lasot(root: Path, sequences: list[str] | None = None) -> TrackingDataset:
    """LaSOT sequences: those named in ``sequences`` (e.g. a training split) when given, else
    those in ``<root>/testing_set.txt`` when present, else all."""
    root = require_dir(root, "LaSOT")
    wanted = None if sequences is None else set(sequences)
    if wanted is None and (root / "testing_set.txt").is_file():
        wanted = set((root / "testing_set.txt").read_text().split())
    found = []
    for gt_path in sorted(root.glob("*/*/groundtruth.txt")):
        folder = gt_path.parent
        if wanted is not None and folder.name not in wanted:
            continue
        boxes = read_boxes(gt_path)
        frames = images_in(folder / "img")
        check_frame_count(frames, boxes, gt_path)
        occluded = read_flags(folder / "full_occlusion.txt", len(boxes)).astype(bool)
        out_of_view = read_flags(folder / "out_of_view.txt", len(boxes)).astype(bool)
        found.append(TrackingSequence(
            folder.name, frames, boxes, occluded | out_of_view | absent_where_unknown(boxes),
            frame_attributes={"full_occlusion": occluded, "out_of_view": out_of_view}))
    if not found and sequences is None:
        raise DatasetError(f"{root}: no LaSOT sequences (expected "
                           "<category>/<seq>/groundtruth.txt)")
    return TrackingDataset("lasot", root, found)
