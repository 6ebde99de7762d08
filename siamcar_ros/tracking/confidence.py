"""What the tracker reports as its confidence, and why.

``confidence = max over cells of cls x centre-ness``, read from the raw maps before the
cosine window and the scale/ratio penalty. The window and the penalties say where the target
is *likely to have moved*; they are the right tie-breakers for choosing a box, but folded into
a score they keep it high near the last position whatever is there. The raw foreground score
at the chosen point has the opposite fault: with a look-alike or textured background in view,
some cell is nearly always confident that it sees *foreground*. The product with centre-ness
asks more: that one cell sees the target's centre, which a network trained with negative pairs
(template and search from different objects) learns to deny off target.

Measured on procedural validation sequences (not on a benchmark), see README "Confidence".
"""
from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_LOST_THRESHOLD", "peak_score", "score_map"]


def score_map(cls: np.ndarray, cen_logits: np.ndarray) -> np.ndarray:
    """cls x sigmoid(cen) per cell (cls: foreground probability): what the confidence and a
    re-detection crop's score read, before any window or penalty."""
    centerness = 1.0 / (1.0 + np.exp(-np.asarray(cen_logits, dtype=np.float64)))
    return np.asarray(cls, dtype=np.float64) * centerness


def peak_score(cls: np.ndarray, cen_logits: np.ndarray) -> float:
    """Largest cls x sigmoid(cen) over the S x S maps, in 0..1."""
    return float(np.clip(np.max(score_map(cls, cen_logits)), 0.0, 1.0))

# Confidence under which the node counts a frame as a miss (its lost_threshold default),
# chosen on procedural validation sequences: see README "Confidence".
DEFAULT_LOST_THRESHOLD = 0.74
