"""The attributes a sequence can have, and how a seed draws or a caller names a set of them."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

ATTRIBUTES = (
    "scale_variation",
    "aspect_ratio_change",
    "rotation",
    "fast_motion",
    "motion_blur",
    "illumination_variation",
    "partial_occlusion",
    "full_occlusion",
    "similar_distractors",
    "camera_shake",
    "out_of_view",
    "low_resolution",
)
ATTRIBUTE_PROBABILITY = 0.35


def choose_attributes(rng: np.random.Generator) -> list[str]:
    """A random attribute subset (each with ATTRIBUTE_PROBABILITY, at least one)."""
    chosen = [a for a in ATTRIBUTES if rng.random() < ATTRIBUTE_PROBABILITY]
    return chosen or [ATTRIBUTES[int(rng.integers(len(ATTRIBUTES)))]]


def validated_attributes(attributes: Iterable[str]) -> list[str]:
    attributes = list(attributes)
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise ValueError(f"unknown procedural attribute(s) {unknown}; allowed: {list(ATTRIBUTES)}")
    return [a for a in ATTRIBUTES if a in attributes]
