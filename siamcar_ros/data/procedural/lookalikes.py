"""``generate_lookalike_sequence``: a look-alike of the target comes near it, the way another
person crosses a pedestrian's path.

The target walks across the view at a steady pace (a slight wobble, no camera shake, no other
events); one look-alike meets it about midway. How it meets the target (the encounter):

- ``crossing``: it comes the other way and passes behind the target (the target drawn over it);
- ``passing_in_front``: it comes the other way and passes in front, hiding the target for a few
  frames (frames with under 10 % of the target visible are marked absent);
- ``walking_beside``: it walks the same way beside the target, closes in to touching distance and
  parts again.

How like the target it is (the similarity): ``exact_copy`` (the same pixels), ``relit_copy``
(the same object under other light: a brightness gain of 0.6..0.8 or 1.3..1.6, a colour cast and
a gamma change) or ``same_kind`` (another region of the photograph or texture the target was cut
from, at the target's size: another object of the same kind). Both are the sequence's
attributes, so ``siamcar-eval`` reports success per encounter and per similarity.
"""
from __future__ import annotations

import cv2
import numpy as np

from .events import Occluder
from .geometry import box_of, make_placements, visible_fraction
from .motion import camera_path, smooth_curve
from .photos import photo_set
from .plan import SequencePlan
from .sequence import ABSENT_VISIBLE_FRACTION, ProceduralFrames, ProceduralSequence
from .textures import _random_photo, _random_region, _shapes_texture, patch_pyramid, random_appearance

ENCOUNTERS = ("crossing", "passing_in_front", "walking_beside")
SIMILARITIES = ("exact_copy", "relit_copy", "same_kind")
LOOKALIKE_LENGTH = 150


def lookalike_kinds(index: int) -> tuple[str, str]:
    """The (encounter, similarity) of a benchmark's sequence ``index``: every pair in turn."""
    return ENCOUNTERS[index % 3], SIMILARITIES[(index // 3) % 3]


def _target_and_kin(rng: np.random.Generator, height: int, width: int, photos) -> tuple[np.ndarray, np.ndarray]:
    """The target's patch and another object of the same kind (same photograph or texture family)."""
    if rng.random() < 0.8:
        photo = _random_photo(rng, photos)
        return _random_region(rng, photo, height, width), _random_region(rng, photo, height, width)
    return _shapes_texture(rng, height, width), _shapes_texture(rng, height, width)


def _relit(rng: np.random.Generator, patch: np.ndarray) -> np.ndarray:
    gain = rng.uniform(0.6, 0.8) if rng.random() < 0.5 else rng.uniform(1.3, 1.6)
    cast = rng.uniform(0.9, 1.1, 3)
    gamma = rng.uniform(0.8, 1.25)
    lit = 255.0 * (patch.astype(np.float64) / 255.0) ** gamma * gain * cast
    return np.clip(lit, 0, 255).astype(np.uint8)


def _paths(rng: np.random.Generator, length: int, size: tuple[int, int], target_size: np.ndarray,
           encounter: str) -> tuple[np.ndarray, np.ndarray]:
    """Centres (N x 2) of the target and of the look-alike."""
    height, width = size
    heading = rng.uniform(-0.35, 0.35) + (np.pi if rng.random() < 0.5 else 0.0)
    direction = np.array([np.cos(heading), np.sin(heading)])
    across = np.array([-direction[1], direction[0]])
    speed = rng.uniform(2.0, 3.5)
    middle = np.array([width / 2, height / 2]) + rng.uniform(-0.1, 0.1, 2) * (width, height)
    meet = int(rng.integers(int(0.4 * length), int(0.6 * length)))
    t = np.arange(length)[:, None]
    wobble = smooth_curve(rng, length, 4.0, 20, 60)[:, None] * across
    target = middle + (t - meet) * speed * direction + wobble
    extent = float(np.abs(across) @ target_size)       # the target's extent across its heading
    if encounter == "walking_beside":
        gap = extent * (1.0 + 1.8 * np.abs(t - meet) / length)          # touching at the meeting
        side = rng.choice([-1.0, 1.0])
        other = target + side * gap * across + smooth_curve(rng, length, 3.0, 20, 60)[:, None] * direction
    else:
        lateral = rng.uniform(0.0, 0.4 if encounter == "crossing" else 0.25) * extent * rng.choice([-1.0, 1.0])
        other_speed = speed * rng.uniform(0.8, 1.3)
        other_heading = heading + np.pi + rng.uniform(-0.3, 0.3)
        other_direction = np.array([np.cos(other_heading), np.sin(other_heading)])
        other = target[meet] + lateral * across + (t - meet) * other_speed * other_direction
    return target, other


def generate_lookalike_sequence(seed: int, encounter: str, similarity: str, length: int = LOOKALIKE_LENGTH,
                                size: tuple[int, int] = (480, 640), name: str | None = None,
                                photos: str = "standard", camera_shake: bool = False) -> ProceduralSequence:
    """One look-alike sequence (see the module docstring); size is (height, width).

    ``camera_shake``: the view pans slowly and shakes as a hand-held or drone camera does (the
    standing benchmark's ``camera_shake``): the background, the target and the look-alike all
    jump with the shake. Drawn from a generator of its own, so the scene is the still
    sequence's, frame for frame, seen through a moving camera."""
    if encounter not in ENCOUNTERS:
        raise ValueError(f"encounter {encounter!r} is not one of {', '.join(ENCOUNTERS)}")
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity {similarity!r} is not one of {', '.join(SIMILARITIES)}")
    height, width = (int(v) for v in size)
    rng = np.random.default_rng(int(seed))
    pool = photo_set(photos)
    canvas = random_appearance(rng, height, width, photo_probability=0.7, photos=pool)
    long_side = rng.uniform(0.12, 0.22) * min(height, width)
    aspect = np.exp(rng.uniform(np.log(0.35), np.log(1.3)))     # mostly upright, like people
    target_size = np.array([long_side * min(aspect, 1.0), long_side / max(aspect, 1.0)])
    patch_w, patch_h = (int(v) for v in np.maximum(4 * np.round(1.5 * target_size / 4), 8))
    patch, kin = _target_and_kin(rng, patch_h, patch_w, pool)
    alike = {"exact_copy": patch, "relit_copy": _relit(rng, patch), "same_kind": kin}[similarity]
    target_path, other_path = _paths(rng, length, (height, width), target_size, encounter)
    widths, heights = np.full(length, target_size[0]), np.full(length, target_size[1])
    pad, camera, shake = 0, np.zeros((length, 2), int), np.zeros((length, 2), int)
    if camera_shake:
        pad = int(0.15 * min(height, width))
        camera, shake = camera_path(np.random.default_rng([int(seed), 1]), length, pad, True)
        canvas = cv2.copyMakeBorder(canvas, pad, pad, pad, pad, cv2.BORDER_REFLECT)
        target_path, other_path = target_path - shake, other_path - shake
    target = make_placements(target_path, widths, heights, np.zeros(length))
    other = make_placements(other_path, widths, heights, np.zeros(length))
    distractors, occluders = ((patch_pyramid(alike), other),), ()
    if encounter == "passing_in_front":      # drawn over the target: an occluder with its look
        texture = cv2.resize(alike, (int(round(target_size[0])), int(round(target_size[1]))),
                             interpolation=cv2.INTER_AREA)
        boxes = {}
        for i, p in enumerate(other):
            x0, y0 = int(np.floor(p.cx - texture.shape[1] / 2 + 0.5)), int(np.floor(p.cy - texture.shape[0] / 2 + 0.5))
            boxes[i] = (x0, y0, x0 + texture.shape[1], y0 + texture.shape[0])
        distractors, occluders = (), (Occluder(texture=texture, boxes=boxes),)
    plan = SequencePlan(size=(height, width), canvas=canvas, pad=pad,
                        camera=camera, target_pyramid=patch_pyramid(patch), target=target,
                        blur_length=np.zeros(length), blur_angle=np.zeros(length),
                        camera_blur=np.zeros((length, 2)), distractors=distractors, occluders=occluders,
                        gain=None)
    ground_truth = np.stack([box_of(p, plan.size) for p in target])
    absent = np.array([bool(occluders) and visible_fraction(p, plan.size, [occluders[0].boxes[i]])
                       < ABSENT_VISIBLE_FRACTION for i, p in enumerate(target)])
    absent |= ground_truth[:, 2] * ground_truth[:, 3] < 0.1 * target_size.prod()   # out of the view
    attributes = [encounter, similarity] + (["camera_shake"] if camera_shake else [])
    return ProceduralSequence(name=name or f"lookalike_{seed}", frames=ProceduralFrames(plan),
                              ground_truth=ground_truth, absent=absent, attributes=attributes,
                              seed=int(seed))


__all__ = ["ENCOUNTERS", "LOOKALIKE_LENGTH", "SIMILARITIES", "generate_lookalike_sequence", "lookalike_kinds"]
