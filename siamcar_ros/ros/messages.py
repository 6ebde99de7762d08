"""What the tracking node publishes, built from plain values: the detection, the status, the
diagnostics, and the watch that says when a held target has gone stale. No node state lives
here: the target is the session's ``SessionResult``, the node's parts publish."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from vision_msgs.msg import Detection2D, ObjectHypothesisWithPose

from siamcar_ros.msg import TrackerStatus
from siamcar_ros.ros.init_box import detection_for_box
from siamcar_ros.tracking.session import SessionResult, TrackState, follow_figures

STALE = 4                  # TrackerStatus.STALE
_STALE_PERIODS = 3         # a held target is STALE after this many frame periods with no frame processed
_STALE_MIN_S = 0.5


@dataclass
class Counters:
    processed: int = 0
    dropped_stale: int = 0
    dropped_refused: int = 0
    latency_ms: float = 0.0
    tracker_ms: float = 0.0
    frames_per_second: float = 0.0
    previous_start: float | None = None

    @property
    def dropped(self) -> int:
        return self.dropped_stale + self.dropped_refused

    def add_frame_time(self, started: float) -> None:
        """Smoothed processing rate from the start times of consecutive frames."""
        previous, self.previous_start = self.previous_start, started
        if previous is not None and started > previous:
            rate = 1.0 / (started - previous)
            self.frames_per_second = rate if self.frames_per_second == 0 else (
                0.9 * self.frames_per_second + 0.1 * rate)


def detection_message(target: SessionResult, header, track_id: int, class_id: str) -> Detection2D:
    """The box; one hypothesis (class_id, score = confidence) only while TRACKING."""
    detection = detection_for_box(target.bbox, header)
    detection.id = str(track_id)
    if target.state == TrackState.TRACKING:
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id = class_id
        hypothesis.hypothesis.score = target.confidence
        hypothesis.pose.pose.position.x = detection.bbox.center.position.x
        hypothesis.pose.pose.position.y = detection.bbox.center.position.y
        detection.results.append(hypothesis)
    return detection


def status_message(target: SessionResult, counters: Counters, message: str, header=None, shape=None,
                   stale: str | None = None, latency_ms: float = 0.0, tracker_ms: float = 0.0,
                   geometry=None) -> TrackerStatus:
    """A TrackerStatus. ``stale`` (the stale message) makes it STALE: nothing current to steer
    on, so box, confidence and follow-me figures stay 0. ``geometry`` (camera_geometry's
    TargetGeometry3D of this frame) gives the bearing and depth."""
    status = TrackerStatus()
    if header is not None:
        status.header = header
    status.state = STALE if stale is not None else int(target.state)
    status.frames_since_loss = int(target.frames_since_loss)
    status.message = message
    status.latency_ms, status.tracker_ms = float(latency_ms), float(tracker_ms)
    status.processed_frames, status.dropped_frames = counters.processed, counters.dropped
    if shape is not None:
        status.image_height, status.image_width = int(shape[0]), int(shape[1])
    if stale is not None:
        status.message = f"{message}; {stale}" if message and message != stale else stale
    elif target.bbox is not None and target.state != TrackState.IDLE:
        status.confidence, status.centerness = target.confidence, target.centerness
        status.bbox_x, status.bbox_y, status.bbox_width, status.bbox_height = target.bbox
        if target.frame_size is not None:
            width, height = target.frame_size
            status.image_height, status.image_width = height, width
            figures = follow_figures(target.bbox, width, height)
            status.target_offset_x, status.target_offset_y = figures.offset_x, figures.offset_y
            status.target_area_fraction = figures.area_fraction
        rivals = target.rivals
        status.rivals, status.rival_ratio, status.ambiguous = int(rivals.rivals), float(rivals.rival_ratio), \
            bool(rivals.ambiguous)
        if geometry is not None and geometry.azimuth is not None:
            status.has_bearing = True
            status.bearing_azimuth, status.bearing_elevation = float(geometry.azimuth), float(geometry.elevation)
        if geometry is not None and geometry.depth_m is not None:
            status.has_depth, status.target_depth_m = True, float(geometry.depth_m)
    return status


def diagnostics_message(name: str, target: SessionResult, counters: Counters, active: bool,
                        stale: str | None, device_note: str, model: str, image_topic: str,
                        stamp) -> DiagnosticArray:
    """One DiagnosticStatus: OK while idle or tracking, WARN while the target is lost or
    searched for, stale, or while the node is configured but not active."""
    state = target.state
    level = DiagnosticStatus.OK
    if state in (TrackState.LOST, TrackState.SEARCHING) or not active or stale is not None:
        level = DiagnosticStatus.WARN
    summary = state.name if active else "inactive (configured, not processing)"
    values = {
        "state": state.name, "frames_since_loss": str(target.frames_since_loss),
        "confidence": f"{target.confidence:.3f}",
        "frames_per_second": f"{counters.frames_per_second:.1f}",
        "latency_ms": f"{counters.latency_ms:.1f}", "tracker_ms": f"{counters.tracker_ms:.1f}",
        "processed_frames": str(counters.processed), "dropped_frames": str(counters.dropped),
        "device": device_note, "model": model, "image_topic": image_topic}
    status = DiagnosticStatus(level=level, name=f"{name}: tracking", message=stale or summary,
                              hardware_id=device_note.split(";")[0],
                              values=[KeyValue(key=k, value=v) for k, v in values.items()])
    array = DiagnosticArray(status=[status])
    array.header.stamp = stamp
    return array


@dataclass
class StaleWatch:
    """When a held target has gone stale: no frame processed for ``_STALE_PERIODS`` frame
    periods (at least ``_STALE_MIN_S``), and the reason, announced at once and then once a
    second while it lasts."""

    rate_hz: float = math.inf
    last_processed_at: float = 0.0
    announced_at: float | None = None
    last_problem: str = ""

    @property
    def after_s(self) -> float:
        return max(_STALE_PERIODS / self.rate_hz, _STALE_MIN_S)

    def processed(self) -> float | None:
        """A frame was processed now; returns how long it had been stale (None if it was not)."""
        now = time.monotonic()
        was_stale = None if self.announced_at is None else now - self.last_processed_at
        self.last_processed_at, self.announced_at = now, None
        return was_stale

    def stale_for(self, holding_target: bool) -> float | None:
        """Seconds since the last processed frame when a held target is stale, else None."""
        if not holding_target:
            return None
        age = time.monotonic() - self.last_processed_at
        return age if age > self.after_s else None

    def message(self, stale_for: float) -> str:
        reason = f"; last problem: {self.last_problem}" if self.last_problem else "; no frames arriving"
        return f"stale: no frame processed for {stale_for:.1f} s{reason}"

    def announcement(self, holding_target: bool) -> tuple[str, bool] | None:
        """(message, first) when a stale announcement is due now, else None."""
        stale_for = self.stale_for(holding_target)
        if stale_for is None:
            return None
        now = time.monotonic()
        if self.announced_at is not None and now - self.announced_at < 1.0:
            return None
        first = self.announced_at is None
        self.announced_at = now
        return self.message(stale_for), first
