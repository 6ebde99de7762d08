"""Placements of a patch in a frame, their boxes (the ground truth's convention) and visible share."""
from __future__ import annotations

import dataclasses

import numpy as np

_VISIBILITY_GRID = 16


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where a patch sits in one frame: centre (pixel-centre coords), displayed size, angle."""

    cx: float
    cy: float
    width: float
    height: float
    angle_deg: float


def half_extents(width: np.ndarray, height: np.ndarray, angle_deg: np.ndarray) -> np.ndarray:
    """Half width and height of the axis-aligned box around a rotated rectangle."""
    c, s = np.abs(np.cos(np.radians(angle_deg))), np.abs(np.sin(np.radians(angle_deg)))
    return np.stack([(width * c + height * s) / 2, (width * s + height * c) / 2], axis=-1)


def clip_centres(centres: np.ndarray, half: np.ndarray, size: tuple[int, int],
                 allow_out_of_view: bool) -> np.ndarray:
    """Keep boxes inside the frame (or, out of view allowed, their centres inside)."""
    margin = 0.1 * half if allow_out_of_view else half
    upper = np.array([size[1], size[0]], float) - 1 - margin
    return np.clip(centres, margin, np.maximum(upper, margin))


def make_placements(centres: np.ndarray, width: np.ndarray, height: np.ndarray,
                    angle: np.ndarray) -> tuple[Placement, ...]:
    return tuple(Placement(float(c[0]), float(c[1]), float(w), float(h), float(a))
                 for c, w, h, a in zip(centres, width, height, angle))


def patch_transform(placement: Placement, patch_shape: tuple[int, ...]) -> np.ndarray:
    """2x3 affine map from patch pixel-centre coords to frame pixel-centre coords."""
    patch_h, patch_w = patch_shape[:2]
    sx, sy = placement.width / patch_w, placement.height / patch_h
    theta = np.radians(placement.angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    linear = rotation @ np.diag([sx, sy])
    patch_centre = np.array([(patch_w - 1) / 2, (patch_h - 1) / 2])
    offset = np.array([placement.cx, placement.cy]) - linear @ patch_centre
    return np.hstack([linear, offset[:, None]])


def box_of(placement: Placement, size: tuple[int, int]) -> np.ndarray:
    """Axis-aligned x, y, w, h (pixel-edge coords) of a placement, clipped to the frame."""
    half = half_extents(np.array(placement.width), np.array(placement.height),
                        np.array(placement.angle_deg))
    x0 = placement.cx + 0.5 - half[0]
    y0 = placement.cy + 0.5 - half[1]
    x1, y1 = x0 + 2 * half[0], y0 + 2 * half[1]
    x0, x1 = np.clip([x0, x1], 0, size[1])
    y0, y1 = np.clip([y0, y1], 0, size[0])
    return np.array([x0, y0, x1 - x0, y1 - y0])


def visible_fraction(placement: Placement, size: tuple[int, int],
                     occluder_boxes: list[tuple[int, int, int, int]]) -> float:
    """Share of the target's in-frame area that no occluder covers (grid sampling)."""
    steps = (np.arange(_VISIBILITY_GRID) + 0.5) / _VISIBILITY_GRID - 0.5
    u, v = np.meshgrid(steps * placement.width, steps * placement.height)
    theta = np.radians(placement.angle_deg)
    xs = placement.cx + 0.5 + u * np.cos(theta) - v * np.sin(theta)   # pixel-edge coords
    ys = placement.cy + 0.5 + u * np.sin(theta) + v * np.cos(theta)
    inside = (xs >= 0) & (xs < size[1]) & (ys >= 0) & (ys < size[0])
    covered = np.zeros_like(inside)
    for x0, y0, x1, y1 in occluder_boxes:
        covered |= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    in_frame = int(inside.sum())
    return float((inside & ~covered).sum()) / in_frame if in_frame else 0.0
