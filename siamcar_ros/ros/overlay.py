"""The debug overlay: box, state, confidence and frames/s drawn on a copy of the frame."""

from __future__ import annotations

import cv2
import numpy as np

from siamcar_ros.tracking.session import TrackState as TrackingState

_STATE_COLOURS = {  # BGR
    TrackingState.IDLE: (200, 200, 200),
    TrackingState.TRACKING: (0, 220, 0),
    TrackingState.LOST: (0, 0, 255),
    TrackingState.SEARCHING: (0, 165, 255),
}


def draw_overlay(
    frame_bgr: np.ndarray,
    bbox_xywh,
    state: TrackingState,
    confidence: float,
    frames_per_second: float,
) -> np.ndarray:
    canvas = frame_bgr.copy()
    colour = _STATE_COLOURS[state]
    if bbox_xywh is not None and state in (TrackingState.TRACKING, TrackingState.LOST):
        x, y, w, h = (int(round(v)) for v in bbox_xywh)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, 2)
    text = f"{state.name} conf {confidence:.2f} {frames_per_second:.1f} fps"
    draw_label(canvas, text, (8, 22), colour)
    return canvas


LABEL_BACKGROUND = (0, 0, 0)


def draw_label(canvas: np.ndarray, text: str, origin: tuple[int, int], colour) -> tuple[int, int, int, int]:
    """Text on a filled dark box (legible on any picture, and the same with every OpenCV
    version: an outline drawn as a wider stroke of the same glyphs does not line up with the
    fill in OpenCV 5). Returns the box (x0, y0, x1, y1)."""
    face, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1
    (width, height), baseline = cv2.getTextSize(text, face, scale, thickness)
    x, y = origin
    box = (max(x - 3, 0), max(y - height - 3, 0), min(x + width + 3, canvas.shape[1]),
           min(y + baseline + 2, canvas.shape[0]))
    cv2.rectangle(canvas, box[:2], (box[2] - 1, box[3] - 1), LABEL_BACKGROUND, -1)
    cv2.putText(canvas, text, (x, y), face, scale, colour, thickness, cv2.LINE_AA)
    return box
