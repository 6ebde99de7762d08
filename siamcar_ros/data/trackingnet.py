"""TrackingNet: ``<root>/<chunk>/frames/<seq>/0.jpg`` and ``<root>/<chunk>/anno/<seq>.txt``
(``TRAIN_<k>`` chunks: full boxes; ``TEST``: first box only)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import (DatasetError, Protocol, TrackingDataset, TrackingSequence,
                     absent_where_unknown, check_frame_count, images_in, read_boxes, require_dir)


def read_trackingnet(root: Path, chunks: tuple[str, ...] | None = None) -> TrackingDataset:
    """TrackingNet; chunks default to TEST when present, otherwise every TRAIN_<k>."""
    root = require_dir(root, "TrackingNet")
    if chunks is None:
        chunks = ("TEST",) if (root / "TEST").is_dir() else tuple(
            sorted(p.name for p in root.glob("TRAIN_*") if p.is_dir()))
    if not chunks:
        raise DatasetError(f"{root}: no TEST or TRAIN_<k> folders (TrackingNet layout)")
    sequences = []
    for chunk in chunks:
        anno_dir = root / chunk / "anno"
        if not anno_dir.is_dir():
            raise DatasetError(f"{anno_dir}: TrackingNet annotation folder not found")
        for gt_path in sorted(anno_dir.glob("*.txt")):
            frames = images_in(root / chunk / "frames" / gt_path.stem)
            boxes = read_boxes(gt_path)
            if len(boxes) == 1 and len(frames) > 1:   # test chunk: only the first box
                boxes = np.vstack([boxes, np.full((len(frames) - 1, 4), np.nan)])
                absent = np.zeros(len(frames), bool)
            else:
                check_frame_count(frames, boxes, gt_path)
                absent = absent_where_unknown(boxes)
            sequences.append(TrackingSequence(gt_path.stem, frames, boxes, absent))
    protocol = Protocol(submission="trackingnet")
    return TrackingDataset("trackingnet", root, sequences, protocol)
