"""A sequence's whole plan (``SequencePlan``), drawn up front from one seeded random generator."""
from __future__ import annotations

import dataclasses

import numpy as np

from .events import Occluder, plan_blur, plan_distractors, plan_illumination, plan_occluders
from .geometry import Placement, clip_centres, half_extents, make_placements
from .motion import camera_path, size_track, target_base_size, waypoint_path
from .photos import PhotoSet
from .textures import patch_pyramid, random_appearance


@dataclasses.dataclass(frozen=True)
class SequencePlan:
    """Everything a frame is rendered from; per-frame arrays have one row per frame."""

    size: tuple[int, int]
    canvas: np.ndarray                      # background, larger than a frame by 2 * pad
    pad: int
    camera: np.ndarray                      # N x 2 int offsets (x, y) of the view in the canvas
    target_pyramid: tuple[np.ndarray, ...]  # target patch, then successive pyrDown levels
    target: tuple[Placement, ...]
    blur_length: np.ndarray                 # N, target motion-blur length in px (0 = none)
    blur_angle: np.ndarray                  # N, direction of the target's motion (degrees)
    camera_blur: np.ndarray                 # N x 2, whole-frame blur vector (px) from shake
    distractors: tuple[tuple[tuple[np.ndarray, ...], tuple[Placement, ...]], ...]
    occluders: tuple[Occluder, ...]
    gain: np.ndarray | None                 # N x gh x gw low-resolution illumination gain


def plan_sequence(rng: np.random.Generator, length: int, size: tuple[int, int],
                  attributes: set, photos: PhotoSet) -> SequencePlan:
    """The plan of a ``length``-frame sequence of ``size`` (height, width) with ``attributes``.

    Draws from ``rng`` in a fixed order: background, camera, target, path, blur, distractors,
    occluders, lighting; a change of that order changes every sequence of every seed."""
    height, width = size
    pad = int(0.15 * min(size))
    canvas = random_appearance(rng, height + 2 * pad, width + 2 * pad, photo_probability=0.6,
                               photos=photos)
    camera, shake = camera_path(rng, length, pad, "camera_shake" in attributes)

    base = target_base_size(rng, size, "low_resolution" in attributes)
    # the patch has 1.5x the base resolution, rounded to a multiple of 4 for the pyramid
    patch_size = np.maximum(4 * np.round(1.5 * base / 4), 8).astype(int)
    patch = random_appearance(rng, int(patch_size[1]), int(patch_size[0]), photo_probability=0.8,
                              photos=photos)
    widths, heights, angles = size_track(rng, length, base, attributes, size)
    half = half_extents(widths, heights, angles)
    out_of_view = "out_of_view" in attributes
    start = rng.uniform([0.3 * width, 0.3 * height], [0.7 * width, 0.7 * height])
    centres = waypoint_path(rng, length, size, "fast_motion" in attributes, start,
                            border_visit=out_of_view)
    centres = centres - shake
    centres = clip_centres(centres, half, size, out_of_view)
    centres[0] = clip_centres(centres[:1], half[:1], size, False)[0]
    target = make_placements(centres, widths, heights, angles)

    blur_length, blur_angle, camera_blur = plan_blur(rng, centres, shake, attributes)
    return SequencePlan(
        size=size, canvas=canvas, pad=pad, camera=camera, target_pyramid=patch_pyramid(patch),
        target=target, blur_length=blur_length, blur_angle=blur_angle, camera_blur=camera_blur,
        distractors=plan_distractors(rng, patch, target, size, attributes),
        occluders=plan_occluders(rng, target, attributes, photos),
        gain=plan_illumination(rng, length, attributes))
