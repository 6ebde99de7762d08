"""What the tracker reports as its confidence.

``confidence = peak x colour consistency x verification ** verifier_weight``, each factor and
the product in 0..1; it changes what the tracker reports, never the box it chooses:

- ``peak = max over cells of cls x centre-ness``, read from the raw maps before the cosine
  window and the scale/ratio penalty (which keep a windowed score high near the last position
  whatever is there); the product with centre-ness asks that one cell sees the target's centre.
- ``colour consistency = exp(-colour_weight x colour shift)``: the shift compares the box's
  central half, cut into 3 x 3 cells, with the same cells of the initial box: per cell, the
  per-channel log ratios of the mean colours (well-exposed pixels only: every channel within
  20..240) less their mean, as a Euclidean length; the smallest over the cells counts. 0 for
  the same colour balance; ``colour_weight = 0`` leaves the peak alone.
- ``verification``: a learned box verifier's P(same object) (``verifier.py``).

Why each factor, and how the weights and the loss threshold were chosen:
docs/confidence-and-redetection.md.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["COLOUR_CELLS", "COLOUR_FRACTION", "DEFAULT_COLOUR_WEIGHT", "DEFAULT_LOST_THRESHOLD",
           "DEFAULT_VERIFIER_WEIGHT", "box_colours",
           "colour_consistency", "colour_shift", "peak_score", "score_map"]

# the central part of the box (this fraction of its width and height) whose colour is compared,
# as a grid of COLOUR_CELLS x COLOUR_CELLS cells
COLOUR_FRACTION = 0.5
COLOUR_CELLS = 3
DEFAULT_COLOUR_WEIGHT = 2.5
# exponent of the box verifier's P(same object) in the confidence (verifier.py)
DEFAULT_VERIFIER_WEIGHT = 2.0
# Pixels whose channels all lie in this range (8-bit) make a cell's mean colour: a clipped
# channel (a highlight, an over-exposed frame) or a nearly black one (sensor noise, and a ratio
# of small numbers) says nothing of the colour balance. A cell with fewer than this share of
# such pixels uses all of them.
WELL_EXPOSED = (20, 240)
WELL_EXPOSED_SHARE = 0.2


def score_map(cls: np.ndarray, cen_logits: np.ndarray) -> np.ndarray:
    """cls x sigmoid(cen) per cell (cls: foreground probability): what the confidence and a
    re-detection crop's score read, before any window or penalty."""
    centerness = 1.0 / (1.0 + np.exp(-np.asarray(cen_logits, dtype=np.float64)))
    return np.asarray(cls, dtype=np.float64) * centerness


def peak_score(cls: np.ndarray, cen_logits: np.ndarray) -> float:
    """Largest cls x sigmoid(cen) over the S x S maps, in 0..1."""
    return float(np.clip(np.max(score_map(cls, cen_logits)), 0.0, 1.0))


def box_colours(frame: np.ndarray, bbox_xywh, fraction: float = COLOUR_FRACTION,
                cells: int = COLOUR_CELLS) -> np.ndarray | None:
    """Mean colours (float64, ``cells`` x ``cells`` rows of one per channel, row by row) of a
    grid over the central ``fraction`` of a box (x, y, w, h); NaN rows for cells outside the
    frame, None when every cell is."""
    x, y, width, height = (float(v) for v in bbox_xywh)
    cx, cy = x + width / 2.0, y + height / 2.0
    side_w, side_h = width * fraction / cells, height * fraction / cells
    left, top = cx - width * fraction / 2.0, cy - height * fraction / 2.0
    colours = np.full((cells * cells, frame.shape[-1]), np.nan)
    for row in range(cells):
        y0 = max(0, int(top + row * side_h))
        y1 = min(frame.shape[0], int(math.ceil(top + (row + 1) * side_h)))
        for col in range(cells):
            x0 = max(0, int(left + col * side_w))
            x1 = min(frame.shape[1], int(math.ceil(left + (col + 1) * side_w)))
            if x1 > x0 and y1 > y0:
                colours[row * cells + col] = _cell_colour(frame[y0:y1, x0:x1])
    return None if np.isnan(colours).all() else colours


def _cell_colour(cell: np.ndarray) -> np.ndarray:
    """Mean colour of the cell's (h x w x C uint8) well-exposed pixels (every channel within
    WELL_EXPOSED), or of all of them when fewer than WELL_EXPOSED_SHARE are. OpenCV's masked
    mean: a numpy reduction over a 3-wide last axis costs ten times as much on large boxes."""
    channels = cell.shape[-1]
    low, high = WELL_EXPOSED
    cell = np.ascontiguousarray(cell)
    exposed = cv2.inRange(cell, (low,) * channels, (high,) * channels)
    if cv2.countNonZero(exposed) >= max(1, WELL_EXPOSED_SHARE * cell.shape[0] * cell.shape[1]):
        return np.array(cv2.mean(cell, mask=exposed)[:channels])
    return np.array(cv2.mean(cell)[:channels])


def colour_shift(colours: np.ndarray | None, reference: np.ndarray | None) -> float:
    """How far the colour balance of the best-matching cell of ``colours`` is from the same
    cell of ``reference`` (0 = the same balance; brightness alone does not count); 1.0 when no
    cell is known in both (a box outside the frame)."""
    if colours is None or reference is None:
        return 1.0
    ratios = np.log((np.asarray(colours) + 1.0) / (np.asarray(reference) + 1.0))
    known = ~np.isnan(ratios).any(axis=1)
    if not known.any():
        return 1.0
    ratios = ratios[known]
    return float(np.min(np.linalg.norm(ratios - ratios.mean(axis=1, keepdims=True), axis=1)))


def colour_consistency(shift: float, weight: float = DEFAULT_COLOUR_WEIGHT) -> float:
    """exp(-weight x shift), in 0..1."""
    return float(math.exp(-float(weight) * float(shift)))


# Confidence under which the node counts a frame as a miss (its lost_threshold default),
# chosen on procedural validation sequences (short seeds 1, 3, 4, 5: the highest threshold that
# leaves at most 3 % of on-target frames under it): see docs/confidence-and-redetection.md.
DEFAULT_LOST_THRESHOLD = 0.05
