"""The camera-tracking part of MAVLink, as the tracker speaks it (no ROS, no sockets).

Commands (``COMMAND_LONG`` or ``COMMAND_INT``; coordinates normalised to the image, 0 = left /
top, 1 = right / bottom):

- ``MAV_CMD_CAMERA_TRACK_RECTANGLE`` (param1..4: top-left x, y, bottom-right x, y) becomes an
  init box on the newest frame;
- ``MAV_CMD_CAMERA_TRACK_POINT`` (param1, 2: x, y; param3: radius, a share of the image width,
  0 = the default size) becomes a square box of ``2 x radius x width`` (default: a side of
  ``point_box_fraction`` of the image's shorter side) around the point, clipped to the image;
- ``MAV_CMD_CAMERA_STOP_TRACKING`` stops tracking.

``plan_command`` checks a command and says what to do, or why it is refused; ``image_status``
fills ``CAMERA_TRACKING_IMAGE_STATUS`` from the tracker's state and box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pymavlink.dialects.v20 import common as mavlink

from siamcar_ros.tracking.settings import Setting

__all__ = ["BRIDGE_SETTINGS", "CommandPlan", "ImageStatus", "TRACKING_COMMANDS", "image_status", "plan_command"]

TRACK_POINT = mavlink.MAV_CMD_CAMERA_TRACK_POINT
TRACK_RECTANGLE = mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE
STOP_TRACKING = mavlink.MAV_CMD_CAMERA_STOP_TRACKING
TRACKING_COMMANDS = (TRACK_POINT, TRACK_RECTANGLE, STOP_TRACKING)

# TrackerStatus.state values (msg/TrackerStatus.msg)
IDLE, TRACKING, LOST, SEARCHING, STALE = range(5)

BRIDGE_SETTINGS: tuple[Setting, ...] = (
    Setting("mavlink_url", "udpout:127.0.0.1:14550", "the MAVLink connection, as pymavlink names it "
            "(udpout:HOST:PORT sends to a ground station or router, udpin:0.0.0.0:PORT listens, "
            "/dev/ttyACM0 a serial port)", non_empty=True),
    Setting("system_id", 1, "MAVLink system id: the vehicle's", low=1, high=255),
    Setting("component_id", mavlink.MAV_COMP_ID_CAMERA, "MAVLink component id of this camera "
            f"(MAV_COMP_ID_CAMERA = {mavlink.MAV_COMP_ID_CAMERA}, up to MAV_COMP_ID_CAMERA6 = "
            f"{mavlink.MAV_COMP_ID_CAMERA6})", low=1, high=255),
    Setting("tracker_node", "siamcar_tracker", "the tracking node whose ~/status, ~/reset and init topic "
            "the bridge uses (a name or a full path like /drone/siamcar_tracker)", non_empty=True),
    Setting("image_topic", "image_raw", "the camera topic the tracker reads (its newest frame's size and "
            "stamp place a command's box)", non_empty=True),
    Setting("image_type", "raw", "raw = sensor_msgs/Image, compressed = sensor_msgs/CompressedImage",
            choices=("raw", "compressed")),
    Setting("init_topic", "init_bbox", "the tracker's init box topic", non_empty=True),
    Setting("status_rate_hz", 5.0, "CAMERA_TRACKING_IMAGE_STATUS rate while a target is held", low=0.0,
            high=100.0, low_open=True, unit="Hz"),
    Setting("heartbeat_rate_hz", 1.0, "HEARTBEAT rate", low=0.0, high=10.0, low_open=True, unit="Hz"),
    Setting("point_box_fraction", 0.15, "side of a point command's box when it gives no radius, as a "
            "share of the image's shorter side", low=0.0, high=1.0, low_open=True),
    Setting("answer_timeout_s", 1.0, "how long a track command waits for the tracker's answer before "
            "COMMAND_ACK says FAILED", low=0.0, high=30.0, low_open=True, unit="s"),
)


@dataclass(frozen=True)
class CommandPlan:
    """What a command asks: ``action`` "track" (with ``box`` x, y, w, h in pixels and the
    tracking ``mode``), "stop", or "refuse" (with ``reason``)."""

    action: str
    box: tuple[float, float, float, float] | None = None
    mode: int = mavlink.CAMERA_TRACKING_MODE_NONE
    reason: str = ""


def _refuse(reason: str) -> CommandPlan:
    return CommandPlan("refuse", reason=reason)


def _normalised(name: str, value: float) -> str:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return f"{name} {value!r} is outside the image (allowed: 0..1)"
    return ""


def plan_command(command: int, params: tuple[float, ...], image_size: tuple[int, int] | None,
                 point_box_fraction: float) -> CommandPlan:
    """Check a camera-tracking command (``params``: param1..param4) against the newest image's
    (width, height), None when no image has arrived yet."""
    if command == STOP_TRACKING:
        return CommandPlan("stop")
    if command not in (TRACK_POINT, TRACK_RECTANGLE):
        return _refuse(f"command {command} is not a camera-tracking command")
    if image_size is None:
        return _refuse("no image has arrived yet from the camera topic")
    width, height = image_size
    if command == TRACK_RECTANGLE:
        left, top, right, bottom = (float(v) for v in params[:4])
        problems = [_normalised(n, v) for n, v in (("top-left x", left), ("top-left y", top),
                                                   ("bottom-right x", right), ("bottom-right y", bottom))]
        problem = next((p for p in problems if p), "")
        if not problem and (right <= left or bottom <= top):
            problem = (f"the rectangle ({left:g}, {top:g}) - ({right:g}, {bottom:g}) is empty: the bottom-right "
                       "corner must be right of and below the top-left one")
        if problem:
            return _refuse(problem)
        box = (left * width, top * height, (right - left) * width, (bottom - top) * height)
        if box[2] < 1.0 or box[3] < 1.0:
            return _refuse(f"the rectangle is under one pixel on a {width}x{height} image")
        return CommandPlan("track", box, mavlink.CAMERA_TRACKING_MODE_RECTANGLE)
    x, y, radius = (float(v) for v in params[:3])
    problem = _normalised("point x", x) or _normalised("point y", y)
    if not problem and (not math.isfinite(radius) or not 0.0 <= radius <= 1.0):
        problem = f"radius {radius!r} is outside 0..1 (a share of the image width; 0 = the default size)"
    if problem:
        return _refuse(problem)
    side = 2.0 * radius * width if radius > 0 else point_box_fraction * min(width, height)
    side = max(side, 2.0)
    left, top = max(0.0, x * width - side / 2), max(0.0, y * height - side / 2)
    right, bottom = min(float(width), x * width + side / 2), min(float(height), y * height + side / 2)
    return CommandPlan("track", (left, top, right - left, bottom - top), mavlink.CAMERA_TRACKING_MODE_POINT)


@dataclass(frozen=True)
class ImageStatus:
    """The fields of CAMERA_TRACKING_IMAGE_STATUS (in the message's order)."""

    tracking_status: int
    tracking_mode: int
    target_data: int
    point_x: float
    point_y: float
    radius: float
    rec_top_x: float
    rec_top_y: float
    rec_bottom_x: float
    rec_bottom_y: float


def image_status(state: int, bbox: tuple[float, float, float, float], image_size: tuple[int, int],
                 mode: int) -> ImageStatus:
    """CAMERA_TRACKING_IMAGE_STATUS from the tracker's state, box (x, y, w, h, pixels) and image
    (width, height): ACTIVE while TRACKING, ACTIVE | COASTING while LOST or SEARCHING (the last
    box), ERROR while STALE, IDLE without a target; the rectangle and its centre normalised,
    NaN when there is none."""
    flags = {TRACKING: mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE,
             LOST: mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE | mavlink.CAMERA_TRACKING_STATUS_FLAGS_COASTING,
             SEARCHING: mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE | mavlink.CAMERA_TRACKING_STATUS_FLAGS_COASTING,
             STALE: mavlink.CAMERA_TRACKING_STATUS_FLAGS_ERROR}.get(state, mavlink.CAMERA_TRACKING_STATUS_FLAGS_IDLE)
    width, height = image_size
    x, y, w, h = (float(v) for v in bbox)
    if state in (IDLE, STALE) or width <= 0 or height <= 0 or w <= 0 or h <= 0:
        nan = math.nan
        return ImageStatus(flags, mavlink.CAMERA_TRACKING_MODE_NONE if state == IDLE else mode, 0,
                           nan, nan, nan, nan, nan, nan, nan)

    def clip(value: float) -> float:
        return min(max(value, 0.0), 1.0)

    radius = clip(w / 2 / width) if mode == mavlink.CAMERA_TRACKING_MODE_POINT else math.nan
    return ImageStatus(flags, mode, mavlink.CAMERA_TRACKING_TARGET_DATA_IN_STATUS,
                       clip((x + w / 2) / width), clip((y + h / 2) / height), radius,
                       clip(x / width), clip(y / height), clip((x + w) / width), clip((y + h) / height))
