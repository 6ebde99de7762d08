"""Datasets for training and evaluation alike: one module per layout, one error type and one
text parser (``common``), and the procedural sequence generator with its benchmarks.

Evaluation layouts (``open_dataset`` by the names siamcar-eval accepts): ``procedural`` and
``heldout`` (the generated benchmarks, OTB layout), ``realclips`` (short real videos with boxes
drawn by eye, rebuilt by ``real_clips``, OTB layout), ``otb``, ``uav123``, ``lasot``,
``got10k-val``, ``got10k-test``, ``trackingnet``, ``vot``. Training-only layouts: ``coco``,
``imagenet`` (VID, DET), ``youtube_bb``; the training sources wrap the rest with
``FileSequences.from_dataset``.
"""
from __future__ import annotations

from pathlib import Path

from .common import (DatasetError, FileSequences, Protocol, TrackingDataset, TrackingSequence,
                     read_boxes, read_flags, read_number_rows)
from .got10k import read_got10k
from .lasot import read_lasot
from .otb import read_otb
from .trackingnet import read_trackingnet
from .uav123 import read_uav123
from .vot import polygon_area_preserving_box, polygon_bounding_box, read_vot

DATASET_READERS = {
    "procedural": lambda root: read_otb(root, "procedural", use_list=True),
    "heldout": lambda root: read_otb(root, "heldout", use_list=True),
    "longterm": lambda root: read_otb(root, "longterm", use_list=True),
    "lookalikes": lambda root: read_otb(root, "lookalikes", use_list=True),
    "realclips": lambda root: read_otb(root, "realclips", use_list=True),
    "otb": read_otb,
    "uav123": read_uav123,
    "lasot": read_lasot,
    "got10k-val": lambda root: read_got10k(root, "val"),
    "got10k-test": lambda root: read_got10k(root, "test"),
    "trackingnet": read_trackingnet,
    "vot": read_vot,
}
DATASET_NAMES = tuple(DATASET_READERS)


def open_dataset(name: str, root: Path) -> TrackingDataset:
    """Read a dataset by the names siamcar-eval accepts (DATASET_NAMES)."""
    if name not in DATASET_READERS:
        raise DatasetError(f"unknown dataset layout {name!r}; known: {', '.join(DATASET_NAMES)}")
    return DATASET_READERS[name](Path(root))


__all__ = ["DATASET_NAMES", "DATASET_READERS", "DatasetError", "FileSequences", "Protocol",
           "TrackingDataset", "TrackingSequence", "open_dataset", "polygon_area_preserving_box",
           "polygon_bounding_box", "read_boxes", "read_flags", "read_got10k", "read_lasot",
           "read_number_rows", "read_otb", "read_trackingnet", "read_uav123", "read_vot"]
