"""Seeded per-frame paths: the target's centre, size and angle, and the camera's pan and shake."""
from __future__ import annotations

import numpy as np

from .geometry import half_extents


def smooth_curve(rng: np.random.Generator, length: int, amplitude: float,
                 min_period: float = 30.0, max_period: float = 220.0) -> np.ndarray:
    """A sum of three slow sinusoids scaled to peak at about +-amplitude."""
    t = np.arange(length, dtype=np.float64)
    curve = np.zeros(length)
    weights = rng.uniform(0.3, 1.0, 3)
    for weight in weights:
        period = rng.uniform(min_period, max_period)
        curve += weight * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return curve * amplitude / weights.sum()


def waypoint_path(rng: np.random.Generator, length: int, size: tuple[int, int],
                  fast: bool, start: np.ndarray | None = None,
                  border_visit: bool = False) -> np.ndarray:
    """N x 2 smooth centre path through random waypoints (fast: short hops far apart)."""
    from scipy.interpolate import CubicSpline

    height, width = size
    spacing = (6, 12) if fast else (25, 60)
    times = [0]
    while times[-1] < length - 1:
        times.append(min(length - 1, times[-1] + int(rng.integers(*spacing))))
    if len(times) < 3:
        times = [0, (length - 1) // 2, length - 1] if length >= 3 else [0, 1, 2]
    low, high = np.array([0.15 * width, 0.15 * height]), np.array([0.85 * width, 0.85 * height])
    points = rng.uniform(low, high, (len(times), 2))
    if start is not None:
        points[0] = start
    if fast:
        # hops of 0.2..0.4 of the short side every 6..12 frames: about 8..30 px/frame at
        # 480x640, OTB's "fast motion" (> 20 px) without leaving every search region
        for k in range(1, len(points)):
            angle = rng.uniform(0, 2 * np.pi)
            hop = rng.uniform(0.2, 0.4) * min(height, width)
            points[k] = np.clip(points[k - 1] + hop * np.array([np.cos(angle), np.sin(angle)]),
                                low, high)
    else:
        # slow targets wander locally rather than crossing the frame between waypoints
        step = 0.25 * min(height, width)
        for k in range(1, len(points)):
            points[k] = np.clip(points[k - 1] + rng.uniform(-step, step, 2), low, high)
    if border_visit:
        k = int(rng.integers(1, len(points)))
        axis = int(rng.integers(2))
        points[k, axis] = 0.0 if rng.random() < 0.5 else float(size[1 - axis])
    spline = CubicSpline(np.asarray(times, float), points, axis=0, bc_type="clamped")
    return spline(np.arange(length, dtype=np.float64))


def size_track(rng: np.random.Generator, length: int, base: np.ndarray, attributes: set,
               size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame displayed width, height and rotation angle of the target."""
    log_scale = smooth_curve(rng, length, np.log(2.4) if "scale_variation" in attributes
                             else np.log(1.06))
    log_aspect = smooth_curve(rng, length, np.log(1.9) if "aspect_ratio_change" in attributes
                              else np.log(1.03))
    log_scale -= log_scale[0]
    log_aspect -= log_aspect[0]
    if "rotation" in attributes:
        angle = smooth_curve(rng, length, rng.uniform(40, 120))
        angle -= angle[0]
    else:
        angle = np.zeros(length)
    width = base[0] * np.exp(log_scale + log_aspect / 2)
    height = base[1] * np.exp(log_scale - log_aspect / 2)
    # keep the target between 8 px and most of the frame
    extents = 2 * half_extents(width, height, angle)
    limit = np.minimum(0.7 * size[1] / extents[:, 0], 0.7 * size[0] / extents[:, 1])
    shrink = np.minimum(1.0, limit)
    grow = np.maximum(1.0, 8.0 / np.minimum(width, height))
    return width * shrink * grow, height * shrink * grow, angle


def camera_path(rng: np.random.Generator, length: int, pad: int,
                shake: bool) -> tuple[np.ndarray, np.ndarray]:
    """Integer view offsets in the canvas and the shake part of them (both N x 2)."""
    pan = np.stack([smooth_curve(rng, length, 0.3 * pad) for _ in range(2)], axis=1)
    jitter = np.zeros((length, 2))
    if shake:
        amplitude = rng.uniform(0.25, 0.55) * pad
        raw = rng.normal(0, 1, (length, 2))
        calm = rng.random(length) < 0.3
        raw[calm] *= 0.15
        jitter = np.clip(raw * amplitude / 2, -0.6 * pad, 0.6 * pad)
    jitter[0] = 0
    camera = np.rint(pan + jitter).astype(int)
    camera = np.clip(camera, -pad, pad)
    return camera + pad, camera - np.rint(pan).astype(int)


def target_base_size(rng: np.random.Generator, size: tuple[int, int],
                     low_resolution: bool) -> np.ndarray:
    short = min(size)
    long_side = rng.uniform(12, 24) if low_resolution else rng.uniform(0.09, 0.26) * short
    aspect = np.exp(rng.uniform(np.log(0.4), np.log(2.5)))
    width, height = long_side, long_side
    if aspect > 1:
        height = long_side / aspect
    else:
        width = long_side * aspect
    return np.maximum(np.array([width, height]), 8.0)
