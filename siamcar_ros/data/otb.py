"""OTB-100 layout, also that of the procedural benchmarks: ``<root>/<seq>/img/0001.jpg`` +
``groundtruth_rect.txt`` (comma, tab or space separated; ``groundtruth_rect.<k>.txt`` for
sequences with several targets, read as ``<seq>-<k>``). Optional ``absence.label`` and
``attributes.txt`` (written by the procedural benchmarks)."""
from __future__ import annotations

from pathlib import Path

from .common import (DatasetError, TrackingDataset, TrackingSequence, absent_where_unknown,
                     check_frame_count, images_in, read_boxes, read_flags, require_dir)


# OTB-100 sequences whose annotation starts part-way into the image folder (1-based frame).
OTB_FIRST_FRAMES = {"David": 300, "Tiger1": 6, "BlurCar1": 247, "BlurCar3": 3, "BlurCar4": 18}



def read_otb(root: Path, name: str = "otb", use_list: bool = False) -> TrackingDataset:
    """OTB-100 layout (also the procedural benchmark written by write_benchmark).

    use_list: read only the sequences named in ``<root>/list.txt`` (the procedural benchmark
    writes one, so stale folders of an earlier, larger benchmark are ignored).
    """
    root = require_dir(root, "OTB")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if use_list:
        list_path = root / "list.txt"
        if not list_path.is_file():
            raise DatasetError(f"{list_path}: sequence list not found")
        folders = [root / n for n in list_path.read_text().split()]
    sequences = []
    for folder in folders:
        gt_files = sorted(folder.glob("groundtruth_rect*.txt"))
        if not gt_files and use_list:
            raise DatasetError(f"{folder / 'groundtruth_rect.txt'}: file not found")
        if not gt_files:
            continue
        for gt_path in gt_files:
            suffix = gt_path.name[len("groundtruth_rect"):-len(".txt")].strip(".")
            sequences.append(_otb_sequence(folder, gt_path, suffix, len(gt_files) > 1))
    if not sequences:
        raise DatasetError(f"{root}: no OTB sequences (expected <seq>/img/ and "
                           "<seq>/groundtruth_rect.txt)")
    return TrackingDataset(name, root, sequences)


def _otb_sequence(folder: Path, gt_path: Path, suffix: str, several_targets: bool):
    boxes = read_boxes(gt_path)
    frames = images_in(folder / "img")
    if len(frames) > len(boxes):
        # several OTB annotations end early (Football1, Freeman3, ...) or start late (David)
        first = OTB_FIRST_FRAMES.get(folder.name, 1)
        frames = frames[first - 1:first - 1 + len(boxes)]
    check_frame_count(frames, boxes, gt_path)
    name = f"{folder.name}-{suffix}" if several_targets and suffix else folder.name
    absent = absent_where_unknown(boxes)
    if (folder / "absence.label").is_file():
        absent |= read_flags(folder / "absence.label", len(boxes)).astype(bool)
    attributes = []
    if (folder / "attributes.txt").is_file():
        attributes = (folder / "attributes.txt").read_text().split()
    return TrackingSequence(name, frames, boxes, absent, attributes)
