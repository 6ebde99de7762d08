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
    cv2.putText(canvas, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(canvas, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 1, cv2.LINE_AA)
    return canvas
