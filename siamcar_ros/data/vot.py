"""VOT short-term: ``<root>/list.txt``, ``<seq>/groundtruth.txt`` with rectangles or 8-value
polygons, images in ``<seq>/color/`` or ``<seq>/``, per-frame ``*.tag`` attribute files.
Polygons become their min/max bounding rectangle (the VOT toolkit's conversion) for the
ground truth; the initial box uses the area-preserving rectangle that SiamRPN-family
trackers are initialised with (same centre, same area as the polygon)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import (DatasetError, TrackingDataset, TrackingSequence, absent_where_unknown,
                     check_frame_count, images_in, read_flags, read_number_rows, require_dir)


def polygon_bounding_box(polygons: np.ndarray) -> np.ndarray:
    """N x 8 corner lists -> N x 4 min/max rectangles (the VOT toolkit's conversion)."""
    xs, ys = polygons[:, 0::2], polygons[:, 1::2]
    left, top = xs.min(axis=1), ys.min(axis=1)
    return np.stack([left, top, xs.max(axis=1) - left, ys.max(axis=1) - top], axis=1)


def polygon_area_preserving_box(polygon: np.ndarray) -> np.ndarray:
    """One 8-value polygon -> x, y, w, h with the polygon's centre and area.

    The bounding rectangle of a rotated box overstates its size; SiamRPN-family trackers
    shrink it about its centre so that its area matches the rotated box's two side lengths.
    """
    xs, ys = polygon[0::2], polygon[1::2]
    cx, cy = xs.mean(), ys.mean()
    corners = polygon.reshape(4, 2)
    side_area = np.linalg.norm(corners[0] - corners[1]) * np.linalg.norm(corners[1] - corners[2])
    box_w, box_h = xs.max() - xs.min(), ys.max() - ys.min()
    shrink = np.sqrt(side_area / max(box_w * box_h, 1e-12))
    width, height = shrink * box_w + 1, shrink * box_h + 1
    return np.array([cx - (width - 1) / 2, cy - (height - 1) / 2, width, height])


def read_vot(root: Path) -> TrackingDataset:
    root = require_dir(root, "VOT")
    list_path = root / "list.txt"
    if not list_path.is_file():
        raise DatasetError(f"{list_path}: VOT sequence list not found")
    sequences = [_vot_sequence(root / name) for name in list_path.read_text().split()]
    return TrackingDataset("vot", root, sequences)


def _vot_sequence(folder: Path) -> TrackingSequence:
    gt_path = folder / "groundtruth.txt"
    if gt_path.is_file():
        for line_number, line in enumerate(gt_path.read_text().splitlines(), start=1):
            if line.startswith("m"):
                raise DatasetError(f"{gt_path}:{line_number}: mask ground truth (VOT2020+) is "
                                   "not supported; use the rectangle/polygon annotations")
    rows = read_number_rows(gt_path, (4, 8), allow_nan=True)
    frames = images_in(folder / "color" if (folder / "color").is_dir() else folder)
    if len({len(r) for r in rows}) != 1:
        raise DatasetError(f"{gt_path}: mixes 4-value rectangles and 8-value polygons")
    values = np.stack(rows)
    check_frame_count(frames, values, gt_path)
    if values.shape[1] == 8:
        boxes = polygon_bounding_box(values)
        init_box = polygon_area_preserving_box(values[0])
    else:
        boxes, init_box = values, None
    tags = {p.stem: read_flags(p, len(frames)).astype(bool) for p in sorted(folder.glob("*.tag"))}
    attributes = [name for name, flags in tags.items() if flags.any()]
    return TrackingSequence(folder.name, frames, boxes, absent_where_unknown(boxes),
                            attributes=attributes, init_box=init_box, frame_attributes=tags)
