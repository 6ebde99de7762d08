"""The node's one way to say something, and its watchdog: log lines (a repeated problem at most
once every few seconds) with a ~/status message each, the frame counters, the stale-target
watch, and /diagnostics."""
from __future__ import annotations

import math
import re
import time

from rclpy.qos import DurabilityPolicy, QoSProfile

from siamcar_ros.msg import TrackerStatus
from siamcar_ros.ros.messages import Counters, StaleWatch, diagnostics_message, status_message
from siamcar_ros.ros.support import log
from siamcar_ros.tracking.session import SessionResult, TrackState

_LOG_THROTTLE_S = 2.0
_NO_TARGET = SessionResult(TrackState.IDLE, None, 0.0, 0.0, 0)


class StatusReporter:
    """Publishes ~/status in every lifecycle state (transient local, the last 10 kept: a late
    subscriber gets them, configure failures included). ``pipeline`` is the configured frame
    pipeline (None while unconfigured): the target, whether it is active, the model's note."""

    def __init__(self, node):
        self._node = node
        self._publisher = node.create_publisher(
            TrackerStatus, "~/status", QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self._logged_at: dict[str, float] = {}
        self.pipeline = None
        self.restart()

    def restart(self, rate_hz: float = math.inf) -> None:
        """Fresh counters and stale watch (a new configuration)."""
        self.counters, self.stale = Counters(), StaleWatch(rate_hz)

    def target(self) -> SessionResult:
        return self.pipeline.session.report() if self.pipeline is not None else _NO_TARGET

    def _holding_target(self) -> bool:
        pipeline = self.pipeline
        return pipeline is not None and pipeline.active and pipeline.session.state != TrackState.IDLE

    def _stale_message(self) -> str | None:
        stale_for = self.stale.stale_for(self._holding_target())
        return None if stale_for is None else self.stale.message(stale_for)

    def report(self, message: str, header=None, level: str = "info", throttle: bool = False) -> None:
        """Log ``message`` and publish it in a status message; a problem with a frame (a header
        and a warning or error) is also the stale watch's last problem."""
        if header is not None and level != "info":
            self.stale.last_problem = message
        if not throttle or self._first_in_a_while(message):
            log(self._node.get_logger(), level, message)
        frame_size = self.target().frame_size if header is not None else None
        self.publish(header, None if frame_size is None else frame_size[::-1], message)

    def publish(self, header=None, shape=None, message: str = "", latency_ms: float = 0.0,
                tracker_ms: float = 0.0, geometry=None) -> None:
        self._publisher.publish(status_message(self.target(), self.counters, message, header, shape,
                                               self._stale_message(), latency_ms, tracker_ms, geometry))

    def check_stale(self) -> None:
        """Announce a stale target at once, then once a second while it stays stale."""
        due = self.stale.announcement(self._holding_target())
        if due is not None:
            message, first = due
            if first:
                self._node.get_logger().warning(message)
            self.publish(message=message)

    def publish_diagnostics(self, publisher) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        params = pipeline.params
        publisher.publish(diagnostics_message(
            self._node.get_fully_qualified_name(), self.target(), self.counters, pipeline.active,
            self._stale_message(), pipeline.device_note, params.checkpoint or "default", params.image_topic,
            self._node.get_clock().now().to_msg()))

    def _first_in_a_while(self, message: str) -> bool:
        """False when the same problem (numbers aside) was logged in the last few seconds."""
        key = re.sub(r"[0-9.]+", "#", message)
        now = time.monotonic()
        if now - self._logged_at.get(key, -math.inf) < _LOG_THROTTLE_S:
            return False
        self._logged_at[key] = now
        return True
