"""Checking what callers hand the tracker: frames and boxes.

Frames: ``uint8`` only (other dtypes are refused rather than rescaled by guesswork: a float
frame may hold 0..1 or 0..255). Accepted layouts:

- ``HxWx3``: BGR, used as is;
- ``HxW`` or ``HxWx1``: grayscale, replicated to three channels;
- ``HxWx4``: BGRA, the alpha channel is dropped.

Boxes: ``(x, y, w, h)`` with finite numbers, ``w > 0``, ``h > 0``, overlapping the frame at
least partly (a box wholly outside the frame cannot hold the target).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["TrackerInputError", "as_bgr_frame", "check_box"]

FRAME_FORMS = "HxWx3 uint8 BGR (also HxW / HxWx1 grayscale and HxWx4 BGRA uint8)"


class TrackerInputError(ValueError):
    """A frame or box the tracker cannot use; the message says what is wrong and what is allowed."""


def as_bgr_frame(frame) -> np.ndarray:
    """An ``HxWx3`` uint8 BGR view or copy of ``frame``; raises :class:`TrackerInputError`."""
    if not isinstance(frame, np.ndarray):
        raise TrackerInputError(f"frame must be a numpy array ({FRAME_FORMS}), "
                                f"got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise TrackerInputError(
            f"frame dtype {frame.dtype} is not supported; expected uint8 0..255 "
            f"(convert first, e.g. np.clip(frame * 255, 0, 255).astype(np.uint8) for 0..1 floats)")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (1, 3, 4)):
        raise TrackerInputError(f"frame shape {frame.shape} is not supported; expected {FRAME_FORMS}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise TrackerInputError(f"frame is empty (shape {frame.shape}); expected {FRAME_FORMS}")
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(np.ascontiguousarray(frame.reshape(frame.shape[:2])), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return np.ascontiguousarray(frame[:, :, :3])
    return frame


def check_box(bbox, frame_shape) -> tuple[float, float, float, float]:
    """``bbox`` as four floats (x, y, w, h) after checking it against a frame of ``frame_shape``."""
    try:
        values = [float(v) for v in np.asarray(bbox, dtype=np.float64).reshape(-1)]
    except (TypeError, ValueError) as error:
        raise TrackerInputError(f"box must be four numbers (x, y, w, h), got {bbox!r}") from error
    if len(values) != 4:
        raise TrackerInputError(f"box must be four numbers (x, y, w, h), got {len(values)}: {bbox!r}")
    if not all(math.isfinite(v) for v in values):
        raise TrackerInputError(f"box {tuple(values)} has a non-finite value; all of x, y, w, h "
                                "must be finite")
    x, y, width, height = values
    if width <= 0 or height <= 0:
        raise TrackerInputError(f"box {tuple(values)} has width {width} and height {height}; "
                                "both must be > 0")
    frame_height, frame_width = frame_shape[:2]
    if x >= frame_width or y >= frame_height or x + width <= 0 or y + height <= 0:
        raise TrackerInputError(f"box {tuple(values)} lies wholly outside the {frame_width}x"
                                f"{frame_height} frame; it must overlap the frame")
    return x, y, width, height
