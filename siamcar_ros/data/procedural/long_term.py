"""``generate_long_term_sequence``: the target leaves the view for a while and returns elsewhere."""
from __future__ import annotations

import dataclasses

import numpy as np

from .attributes import ATTRIBUTES, choose_attributes
from .geometry import box_of, clip_centres, half_extents
from .photos import photo_set
from .plan import plan_sequence
from .sequence import ProceduralFrames, ProceduralSequence

# attributes a long-term sequence does not draw: its own absences replace them
_LONG_TERM_EXCLUDED = ("out_of_view", "full_occlusion")
LONG_TERM_LENGTH = 450


def _plan_absences(rng: np.random.Generator, length: int) -> list[tuple[int, int]]:
    """One or two spans [start, end) in which the target is out of sight (30..90 frames each),
    each after at least 50 frames of tracking and followed by at least 50 frames."""
    spans, earliest = [], 50
    for _ in range(int(rng.integers(1, 3))):
        duration = int(rng.integers(30, 91))
        latest = length - 50 - duration
        if latest <= earliest:
            break
        start = int(rng.integers(earliest, min(latest, earliest + 150) + 1))
        spans.append((start, start + duration))
        earliest = start + duration + 60
    return spans


def _reappearance_shift(rng: np.random.Generator, gone_at: np.ndarray, back_at: np.ndarray,
                        size: tuple[int, int]) -> np.ndarray:
    """How far to move the rest of the path so the target comes back far from where it left."""
    height, width = size
    target = back_at
    for _ in range(50):
        target = rng.uniform([0.15 * width, 0.15 * height], [0.85 * width, 0.85 * height])
        if np.linalg.norm(target - gone_at) >= 0.35 * min(size):
            break
    return target - back_at


def generate_long_term_sequence(seed: int, length: int = LONG_TERM_LENGTH,
                                size: tuple[int, int] = (480, 640), name: str | None = None,
                                photos: str = "standard",
                                look_alikes: bool = True) -> ProceduralSequence:
    """A long sequence in which the target leaves the view for a while (one or two spans of
    30..90 frames, marked absent, ground truth 0 x 0) and comes back elsewhere in the frame,
    with look-alike distractors always present (``look_alikes=False``: never); otherwise like
    ``generate_sequence``."""
    if length < 200:
        raise ValueError(f"a long-term sequence needs at least 200 frames, got {length}")
    height, width = (int(v) for v in size)
    rng = np.random.default_rng(int(seed))
    drawn = set(choose_attributes(rng)) - set(_LONG_TERM_EXCLUDED) | {"similar_distractors"}
    if not look_alikes:
        drawn -= {"similar_distractors"}
    chosen = [a for a in ATTRIBUTES if a in drawn]
    plan = plan_sequence(rng, int(length), (height, width), set(chosen), photo_set(photos))
    target = list(plan.target)
    blur = plan.blur_length.copy()
    absent = np.zeros(length, bool)
    for start, end in _plan_absences(rng, int(length)):
        gone_at = np.array([target[start - 1].cx, target[start - 1].cy])
        shift = _reappearance_shift(rng, gone_at, np.array([target[end].cx, target[end].cy]),
                                    (height, width))
        for i in range(end, length):
            half = half_extents(np.array(target[i].width), np.array(target[i].height),
                                np.array(target[i].angle_deg))
            moved = np.array([target[i].cx, target[i].cy]) + shift
            moved = clip_centres(moved[None], half[None], (height, width), False)[0]
            target[i] = dataclasses.replace(target[i], cx=float(moved[0]), cy=float(moved[1]))
        for i in range(start, end):   # far outside the canvas: not drawn at all
            target[i] = dataclasses.replace(target[i], cx=-10.0 * width, cy=-10.0 * height)
        absent[start:end] = True
        blur[start:end + 1] = 0
    plan = dataclasses.replace(plan, target=tuple(target), blur_length=blur)
    ground_truth = np.stack([box_of(p, plan.size) for p in plan.target])
    ground_truth[absent] = 0.0
    return ProceduralSequence(name=name or f"longterm_{seed}", frames=ProceduralFrames(plan),
                              ground_truth=ground_truth, absent=absent,
                              attributes=chosen + ["out_of_view"], seed=int(seed))
