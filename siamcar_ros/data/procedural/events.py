"""Seeded occluders, look-alike distractors, motion blur and lighting around a planned target path."""
from __future__ import annotations

import dataclasses

import numpy as np

from .geometry import Placement, clip_centres, half_extents, make_placements
from .motion import smooth_curve, waypoint_path
from .photos import PhotoSet
from .textures import patch_pyramid, random_appearance, recoloured


@dataclasses.dataclass(frozen=True)
class Occluder:
    """A texture that covers its box in the frames it has one for (drawn over the target)."""

    texture: np.ndarray          # HxWx3 uint8, the occluder's look at full size
    boxes: dict[int, tuple[int, int, int, int]]   # frame -> x0, y0, x1, y1 (ints, exclusive)


def _plan_occlusion(rng: np.random.Generator, target: tuple[Placement, ...],
                    start: int, duration: int, full: bool, photos: PhotoSet) -> Occluder:
    """An occluder sweeping across the target during [start, start + duration)."""
    frames = range(start, min(start + duration, len(target)))
    half = np.max([half_extents(np.array(target[i].width), np.array(target[i].height),
                                np.array(target[i].angle_deg)) for i in frames], axis=0)
    sweep_axis = int(rng.integers(2))
    across = 1 - sweep_axis
    occ_half = np.empty(2)
    occ_half[sweep_axis] = half[sweep_axis] * (rng.uniform(2.5, 3.2) if full
                                               else rng.uniform(0.5, 1.0))
    occ_half[across] = half[across] * (rng.uniform(1.3, 1.6) if full else rng.uniform(0.8, 1.3))
    if full:
        lateral = 0.0
    else:
        covered_share = rng.uniform(0.3, 0.7)
        lateral = (half[across] + occ_half[across] - covered_share * 2 * half[across])
        lateral *= rng.choice([-1.0, 1.0])
    reach = half[sweep_axis] + occ_half[sweep_axis] + 2
    direction = rng.choice([-1.0, 1.0])
    boxes = {}
    for k, i in enumerate(frames):
        progress = k / max(1, len(frames) - 1)
        centre = np.array([target[i].cx, target[i].cy])
        centre[sweep_axis] += direction * reach * (2 * progress - 1)
        centre[across] += lateral
        x0, y0 = np.floor(centre - occ_half + 0.5).astype(int)
        x1, y1 = np.floor(centre + occ_half + 0.5).astype(int)
        boxes[i] = (int(x0), int(y0), int(x1), int(y1))
    tex_w, tex_h = (2 * occ_half + 2).astype(int)
    texture = random_appearance(rng, max(tex_h, 4), max(tex_w, 4), photo_probability=0.6,
                                photos=photos)
    return Occluder(texture=texture, boxes=boxes)


def plan_occluders(rng: np.random.Generator, target: tuple[Placement, ...],
                   attributes: set, photos: PhotoSet) -> tuple[Occluder, ...]:
    length = len(target)
    events = []
    if "partial_occlusion" in attributes:
        events += [(False, int(rng.integers(12, 30))) for _ in range(int(rng.integers(1, 3)))]
    if "full_occlusion" in attributes:
        events.append((True, int(rng.integers(24, 40))))
    occluders = []
    # events start in separate slices of the sequence after the first frames (frame 0 stays
    # clean), so they do not overlap
    first = max(1, min(10, length // 4))
    slots = np.linspace(first, length, len(events) + 1) if events else []
    for k, (full, duration) in enumerate(events):
        begin, end = int(slots[k]), int(slots[k + 1])
        duration = max(2, min(duration, end - begin - 1))
        start = int(rng.integers(begin, max(begin + 1, end - duration)))
        if start < length:
            occluders.append(_plan_occlusion(rng, target, start, duration, full, photos))
    return tuple(occluders)


def plan_distractors(rng: np.random.Generator, target_patch: np.ndarray,
                     target: tuple[Placement, ...], size: tuple[int, int],
                     attributes: set) -> tuple:
    if "similar_distractors" not in attributes:
        return ()
    length = len(target)
    first = np.array([target[0].cx, target[0].cy])
    reach = 2 * max(target[0].width, target[0].height)
    distractors = []
    for _ in range(int(rng.integers(1, 4))):
        start = rng.uniform([0.1 * size[1], 0.1 * size[0]], [0.9 * size[1], 0.9 * size[0]])
        for _retry in range(20):   # start away from the target so frame 0 is unambiguous
            if np.linalg.norm(start - first) > reach:
                break
            start = rng.uniform([0.1 * size[1], 0.1 * size[0]], [0.9 * size[1], 0.9 * size[0]])
        centres = waypoint_path(rng, length, size, fast=False, start=start)
        factor = rng.uniform(0.85, 1.15)
        width = np.array([p.width for p in target]) * factor
        height = np.array([p.height for p in target]) * factor
        angle = np.array([p.angle_deg for p in target]) + rng.uniform(-20, 20) * (
            "rotation" in attributes)
        centres = clip_centres(centres, half_extents(width, height, angle), size, False)
        distractors.append((patch_pyramid(recoloured(rng, target_patch)),
                            make_placements(centres, width, height, angle)))
    return tuple(distractors)


def plan_blur(rng: np.random.Generator, centres: np.ndarray, camera_shake: np.ndarray,
              attributes: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = len(centres)
    velocity = np.diff(centres, axis=0, prepend=centres[:1])
    speed = np.linalg.norm(velocity, axis=1)
    angle = np.degrees(np.arctan2(velocity[:, 1], velocity[:, 0]))
    blur_length = np.zeros(length)
    camera_blur = np.zeros((length, 2))
    if "motion_blur" in attributes:
        extra = np.clip(smooth_curve(rng, length, 18.0, 20, 80), 0, None)
        blur_length = np.minimum(np.maximum(0.8 * speed, extra), 31)
        shake_step = np.diff(camera_shake, axis=0, prepend=camera_shake[:1]).astype(float)
        camera_blur = np.where(np.linalg.norm(shake_step, axis=1, keepdims=True) > 6,
                               0.6 * shake_step, 0.0)
    blur_length[0] = 0
    camera_blur[0] = 0
    return blur_length, angle, camera_blur


def plan_illumination(rng: np.random.Generator, length: int, attributes: set) -> np.ndarray | None:
    if "illumination_variation" not in attributes:
        return None
    grid_h, grid_w = 6, 8
    global_gain = np.exp(smooth_curve(rng, length, np.log(2.0), 20, 120))
    global_gain /= global_gain[0]
    yy, xx = np.mgrid[0:grid_h, 0:grid_w] / np.array([grid_h, grid_w])[:, None, None]
    direction = rng.uniform(0, 2 * np.pi)
    along = xx * np.cos(direction) + yy * np.sin(direction)
    t = np.arange(length)[:, None, None]
    spot = 1 + 0.4 * np.cos(2 * np.pi * (along[None] * 1.3 - t / rng.uniform(40, 120)))
    gain = global_gain[:, None, None] * spot
    gain /= gain[0].mean()
    return gain.astype(np.float32)
