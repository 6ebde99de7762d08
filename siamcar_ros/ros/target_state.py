"""Tracking state (IDLE / TRACKING / LOST) and the follow-me figures derived from a box.

Pure Python: the node feeds one confidence per processed frame; `LossMonitor` turns the
stream into the state the status message reports.
- IDLE: no target (not initialised, reset, or cancelled).
- TRACKING -> LOST once the confidence has stayed below `lost_threshold` for
  `lost_patience` consecutive frames.
- LOST -> TRACKING on the first frame whose confidence is back at or above the threshold.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TrackingState(enum.IntEnum):
    # Values match TrackerStatus.msg's constants.
    IDLE = 0
    TRACKING = 1
    LOST = 2


class LossMonitor:
    def __init__(self, lost_threshold: float, lost_patience: int):
        self.state = TrackingState.IDLE
        self.misses = 0
        self.configure(lost_threshold, lost_patience)

    def configure(self, lost_threshold: float, lost_patience: int) -> None:
        self.lost_threshold = float(lost_threshold)
        self.lost_patience = int(lost_patience)

    def start(self) -> None:
        self.state, self.misses = TrackingState.TRACKING, 0

    def stop(self) -> None:
        self.state, self.misses = TrackingState.IDLE, 0

    def update(self, confidence: float) -> TrackingState | None:
        """Record one frame's confidence; return the new state when it changed, else None."""
        if self.state == TrackingState.IDLE:
            return None
        if confidence >= self.lost_threshold:
            self.misses = 0
            if self.state == TrackingState.LOST:
                self.state = TrackingState.TRACKING
                return self.state
            return None
        self.misses += 1
        if self.state == TrackingState.TRACKING and self.misses >= self.lost_patience:
            self.state = TrackingState.LOST
            return self.state
        return None


@dataclass(frozen=True)
class FollowFigures:
    offset_x: float  # box centre vs image centre, -1 (left border) .. +1 (right border)
    offset_y: float  # -1 (top) .. +1 (bottom)
    area_fraction: float  # box area / image area, 0..1


def follow_figures(bbox_xywh, image_width: int, image_height: int) -> FollowFigures:
    """What a follow-me controller steers on, from a box (x, y, w, h) in image pixels."""
    x, y, w, h = (float(v) for v in bbox_xywh)
    half_w, half_h = image_width / 2.0, image_height / 2.0
    offset_x = (x + w / 2.0 - half_w) / half_w
    offset_y = (y + h / 2.0 - half_h) / half_h
    area = max(w, 0.0) * max(h, 0.0) / float(image_width * image_height)
    return FollowFigures(_clip(offset_x, -1.0, 1.0), _clip(offset_y, -1.0, 1.0), _clip(area, 0.0, 1.0))


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
