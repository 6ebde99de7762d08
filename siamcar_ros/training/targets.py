"""Per-cell training targets: class label, (l, t, r, b) distances and centre-ness.

Cell (i, j) of the score map sits at search-crop pixel (offset + stride*j, offset + stride*i).
The public SiamCAR training configuration uses stride 8 and offset 32 on a 255 crop; the
offset is a parameter so that smaller search crops and score maps are handled alike.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSITIVE = 1
NEGATIVE = 0


@dataclass(frozen=True)
class CellGrid:
    """Where the score-map cells sit on the search crop."""

    score_size: int = 25
    stride: int = 8
    offset: float = 32.0

    def __post_init__(self):
        if self.score_size < 1:
            raise ValueError(f"score_size must be >= 1, got {self.score_size}")
        if self.stride < 1:
            raise ValueError(f"stride must be >= 1, got {self.stride}")

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys), each score_size x score_size: the crop pixel of every cell."""
        steps = self.offset + self.stride * np.arange(self.score_size, dtype=np.float32)
        ys, xs = np.meshgrid(steps, steps, indexing="ij")
        return xs, ys


@dataclass
class CellTargets:
    """Targets for one search crop. labels: 1 positive, 0 negative (int64, SxS);
    ltrb: distances from each cell to the box sides (float32, 4xSxS; negative outside);
    centerness: Eq. 6 inside the box, 0 outside (float32, SxS)."""

    labels: np.ndarray
    ltrb: np.ndarray
    centerness: np.ndarray


def box_distances(box_xyxy, grid: CellGrid) -> np.ndarray:
    """l, t, r, b (Eq. 3) of every cell to the box (x0, y0, x1, y1): 4 x S x S."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"box must have x1 > x0 and y1 > y0, got {tuple(box_xyxy)}")
    xs, ys = grid.cell_centres()
    return np.stack([xs - x0, ys - y0, x1 - xs, y1 - ys]).astype(np.float32)


def centerness_from_distances(ltrb: np.ndarray) -> np.ndarray:
    """Eq. 6: sqrt(min(l,r)/max(l,r) * min(t,b)/max(t,b)) where all four are positive, else 0."""
    left, top, right, bottom = ltrb
    inside = (ltrb > 0).all(axis=0)
    safe = np.where(inside[None], ltrb, 1.0)
    horizontal = np.minimum(safe[0], safe[2]) / np.maximum(safe[0], safe[2])
    vertical = np.minimum(safe[1], safe[3]) / np.maximum(safe[1], safe[3])
    return np.where(inside, np.sqrt(horizontal * vertical), 0.0).astype(np.float32)


def build_targets(box_xyxy, grid: CellGrid, positive_fraction: float = 0.6,
                  negative_pair: bool = False) -> CellTargets:
    """Targets for a search crop whose target box is box_xyxy (crop pixels).

    Positives are the cells in the central part of the box: each of l, r exceeds
    positive_fraction * w/2 and each of t, b exceeds positive_fraction * h/2. Every other
    cell is negative. A negative pair (template and search show different objects) has no
    positives at all.
    """
    if not 0.0 <= positive_fraction < 1.0:
        raise ValueError(f"positive_fraction must be in [0, 1), got {positive_fraction}")
    ltrb = box_distances(box_xyxy, grid)
    centerness = centerness_from_distances(ltrb)
    labels = np.full((grid.score_size, grid.score_size), NEGATIVE, dtype=np.int64)
    if not negative_pair:
        x0, y0, x1, y1 = (float(v) for v in box_xyxy)
        half_w, half_h = (x1 - x0) / 2.0, (y1 - y0) / 2.0
        central = ((ltrb[0] > positive_fraction * half_w) & (ltrb[2] > positive_fraction * half_w)
                   & (ltrb[1] > positive_fraction * half_h) & (ltrb[3] > positive_fraction * half_h))
        labels[central] = POSITIVE
    return CellTargets(labels=labels, ltrb=ltrb, centerness=centerness)
