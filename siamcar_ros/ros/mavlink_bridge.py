"""`siamcar_mavlink`: the tracking node as a MAVLink camera component, so that a ground station
(QGroundControl) or an autopilot (ArduPilot) can start and stop tracking and read where the
target is. docs/mavlink.md describes the set-up.

MAVLink side (``mavlink_url``, as pymavlink names a connection; UDP by default): HEARTBEAT as a
camera (MAV_TYPE_CAMERA, component ``component_id``); ``MAV_CMD_CAMERA_TRACK_RECTANGLE`` /
``_TRACK_POINT`` / ``_STOP_TRACKING`` (COMMAND_LONG or COMMAND_INT) answered with COMMAND_ACK,
a refusal's reason also in a STATUSTEXT; CAMERA_INFORMATION when asked for
(MAV_CMD_REQUEST_MESSAGE or MAV_CMD_REQUEST_CAMERA_INFORMATION), with the tracking flags;
CAMERA_TRACKING_IMAGE_STATUS at ``status_rate_hz`` while a target is held. Other commands
addressed to this component get MAV_RESULT_UNSUPPORTED; corrupt data and other messages are
logged (at most every few seconds) and ignored.

ROS side: the camera topic (newest frame: its size and stamp), the tracker's init topic (a track
command's box, stamped with that frame), its ``~/reset`` service (stop), its ``~/status`` (the
answer to a track command: "tracking target ..." accepts it, a refused or failed init box denies
it; no answer within ``answer_timeout_s`` is FAILED; and the tracking status sent back).
"""
from __future__ import annotations

import math
import os
import re
import time
from dataclasses import astuple, dataclass

import rclpy

# MAVLink 2 (the camera-tracking messages have ids above 255); pymavlink reads this at import
os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402
from pymavlink.dialects.v20 import common as mavlink  # noqa: E402
from rcl_interfaces.msg import ParameterDescriptor  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from siamcar_ros.mavlink.camera_tracking import (BRIDGE_SETTINGS, IDLE, STOP_TRACKING,  # noqa: E402
                                                 TRACKING_COMMANDS, image_status, plan_command)
from siamcar_ros.msg import TrackerStatus  # noqa: E402
from siamcar_ros.ros.init_box import detection_for_box  # noqa: E402
from siamcar_ros.tracking.settings import SettingError  # noqa: E402

NODE_NAME = "siamcar_mavlink"
_POLL_S = 0.01
_LOG_THROTTLE_S = 5.0
_STATUSTEXT_CHARS = 50
_INFORMATION_REQUESTS = (mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAV_CMD_REQUEST_CAMERA_INFORMATION)


@dataclass
class _Pending:
    """A track command waiting for the tracker's answer on ~/status."""

    command: int
    sender: tuple[int, int]
    mode: int
    deadline: float


class MavlinkBridge(Node):
    """The bridge node: its parameters are BRIDGE_SETTINGS, read at start."""

    def __init__(self, node_name: str = NODE_NAME, **kwargs):
        super().__init__(node_name, **kwargs)
        self.settings = self._read_settings()
        s = self.settings
        tracker = s["tracker_node"].rstrip("/")
        self._init_pub = self.create_publisher(Detection2D, s["init_topic"], 10)
        self._reset = self.create_client(Trigger, f"{tracker}/reset")
        self.create_subscription(TrackerStatus, f"{tracker}/status", self._on_status,
                                 QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        image_type = CompressedImage if s["image_type"] == "compressed" else Image
        self.create_subscription(image_type, s["image_topic"], self._on_image, qos_profile_sensor_data)
        self._connection = mavutil.mavlink_connection(s["mavlink_url"], source_system=s["system_id"],
                                                      source_component=s["component_id"], dialect="common")
        self._newest_image = None
        self._status: TrackerStatus | None = None
        self._mode = mavlink.CAMERA_TRACKING_MODE_NONE
        self._pending: _Pending | None = None
        self._logged_at: dict[str, float] = {}
        self._text_id = 0
        self._started = time.monotonic()
        self._was_holding = False
        self.create_timer(_POLL_S, self._poll)
        self.create_timer(1.0 / s["heartbeat_rate_hz"], self._heartbeat)
        self.create_timer(1.0 / s["status_rate_hz"], self._send_tracking_status)
        self._heartbeat()
        self.get_logger().info(f"MAVLink camera component {s['system_id']}/{s['component_id']} on "
                               f"{s['mavlink_url']}, driving {tracker}")

    def _read_settings(self) -> dict:
        values = {}
        for setting in BRIDGE_SETTINGS:
            descriptor = ParameterDescriptor(dynamic_typing=True, description=setting.summary(),
                                             additional_constraints="read at start", read_only=True)
            value = self.declare_parameter(setting.name, setting.parameter_default, descriptor).value
            try:
                values[setting.name] = setting.check(value)
            except SettingError as error:
                raise ValueError(f"parameter '{setting.name}': {error.detail}") from error
        return values

    # --------------------------------------------------------------------------- ROS inputs
    def _on_image(self, msg) -> None:
        self._newest_image = msg

    def _image_size(self) -> tuple[int, int] | None:
        msg = self._newest_image
        if msg is None:
            return None
        if isinstance(msg, Image):
            return (int(msg.width), int(msg.height)) if msg.width and msg.height else None
        import cv2
        import numpy as np
        decoded = cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_UNCHANGED)
        return (decoded.shape[1], decoded.shape[0]) if decoded is not None else None

    def _on_status(self, msg: TrackerStatus) -> None:
        self._status = msg
        pending = self._pending
        if pending is None or not msg.message:
            return
        if msg.message.startswith("tracking target"):
            self._pending = None
            self._mode = pending.mode
            self._ack(pending.command, mavlink.MAV_RESULT_ACCEPTED, pending.sender)
        elif re.match(r"init (box refused|box ignored|failed)", msg.message):
            self._pending = None
            self._refuse(pending.command, pending.sender, f"tracker: {msg.message}")

    # ------------------------------------------------------------------------ MAVLink input
    def _poll(self) -> None:
        pending = self._pending
        if pending is not None and time.monotonic() > pending.deadline:
            self._pending = None
            self._refuse(pending.command, pending.sender, "no answer from the tracking node (is it active?)",
                         mavlink.MAV_RESULT_FAILED)
        for _ in range(100):
            try:
                message = self._connection.recv_match(blocking=False)
            except Exception as error:   # a corrupt packet pymavlink cannot even frame
                self._log_once("unreadable MAVLink data", f"unreadable MAVLink data ignored: {error}")
                continue
            if message is None:
                return
            try:
                self._handle(message)
            except Exception as error:  # a message with fields out of their types: the bridge goes on
                self._log_once(f"failed {message.get_type()}", f"MAVLink {message.get_type()} ignored: {error}")

    def _handle(self, message) -> None:
        kind = message.get_type()
        if kind == "BAD_DATA":
            self._log_once("bad data", f"bad MAVLink data ignored ({len(message.get_msgbuf())} bytes)")
            return
        if kind not in ("COMMAND_LONG", "COMMAND_INT"):
            return
        if message.target_system not in (0, self.settings["system_id"]) or \
                message.target_component not in (0, self.settings["component_id"]):
            return
        sender = (message.get_srcSystem(), message.get_srcComponent())
        command = int(message.command)
        params = (message.param1, message.param2, message.param3, message.param4)
        if command in _INFORMATION_REQUESTS:
            self._answer_information_request(command, params, sender)
        elif command in TRACKING_COMMANDS:
            self._track_command(command, params, sender)
        elif message.target_component == self.settings["component_id"]:
            self._log_once(f"command {command}", f"MAVLink command {command} is not supported: answered UNSUPPORTED")
            self._ack(command, mavlink.MAV_RESULT_UNSUPPORTED, sender)

    def _track_command(self, command: int, params, sender) -> None:
        if self._pending is not None:
            self._refuse(command, sender, "a track command is still waiting for the tracker's answer",
                         mavlink.MAV_RESULT_TEMPORARILY_REJECTED)
            return
        plan = plan_command(command, params, self._image_size(), self.settings["point_box_fraction"])
        if plan.action == "refuse":
            self._refuse(command, sender, plan.reason)
        elif plan.action == "stop":
            self._stop(command, sender)
        else:
            image = self._newest_image
            self._pending = _Pending(command, sender, plan.mode, time.monotonic() + self.settings["answer_timeout_s"])
            self._init_pub.publish(detection_for_box(plan.box, image.header))
            self.get_logger().info(f"MAVLink command {command}: init box {tuple(round(v, 1) for v in plan.box)}")

    def _stop(self, command: int, sender) -> None:
        if not self._reset.service_is_ready():
            self._refuse(command, sender, "the tracking node's reset service is not available",
                         mavlink.MAV_RESULT_TEMPORARILY_REJECTED)
            return
        future = self._reset.call_async(Trigger.Request())

        def done(finished) -> None:
            result = finished.result()
            if result is not None and result.success:
                self._mode = mavlink.CAMERA_TRACKING_MODE_NONE
                self._ack(command, mavlink.MAV_RESULT_ACCEPTED, sender)
                self._send_tracking_status(force=True)
            else:
                self._refuse(command, sender, f"reset failed: {getattr(result, 'message', 'no answer')}",
                             mavlink.MAV_RESULT_FAILED)
        future.add_done_callback(done)

    def _answer_information_request(self, command: int, params, sender) -> None:
        if command == mavlink.MAV_CMD_REQUEST_MESSAGE and int(params[0]) != mavlink.MAVLINK_MSG_ID_CAMERA_INFORMATION:
            self._ack(command, mavlink.MAV_RESULT_UNSUPPORTED, sender)
            return
        size = self._image_size() or (0, 0)
        flags = mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_POINT | mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE
        self._ack(command, mavlink.MAV_RESULT_ACCEPTED, sender)
        self._connection.mav.camera_information_send(
            self._boot_ms(), b"siamcar_ros".ljust(32, b"\0"), b"SiamCAR tracker".ljust(32, b"\0"), 0,
            math.nan, math.nan, math.nan, size[0], size[1], 0, flags, 0, b"")

    # ----------------------------------------------------------------------- MAVLink output
    def _boot_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1e3) & 0xFFFFFFFF

    def _heartbeat(self) -> None:
        self._connection.mav.heartbeat_send(mavlink.MAV_TYPE_CAMERA, mavlink.MAV_AUTOPILOT_INVALID, 0, 0,
                                            mavlink.MAV_STATE_ACTIVE)

    def _ack(self, command: int, result: int, sender) -> None:
        self._connection.mav.command_ack_send(command, result, progress=0, result_param2=0,
                                              target_system=sender[0], target_component=sender[1])

    def _refuse(self, command: int, sender, reason: str, result: int = mavlink.MAV_RESULT_DENIED) -> None:
        self.get_logger().warning(f"MAVLink command {command} refused: {reason}")
        self._ack(command, result, sender)
        self._status_text(reason)

    def _status_text(self, text: str) -> None:
        """A STATUSTEXT (warning), in 50-character chunks sharing one id when longer."""
        self._text_id = self._text_id % 65535 + 1
        chunks = [text[k:k + _STATUSTEXT_CHARS] for k in range(0, len(text), _STATUSTEXT_CHARS)] or [""]
        for sequence, chunk in enumerate(chunks):
            self._connection.mav.statustext_send(mavlink.MAV_SEVERITY_WARNING, chunk.encode(),
                                                 id=self._text_id if len(chunks) > 1 else 0, chunk_seq=sequence)

    def _send_tracking_status(self, force: bool = False) -> None:
        status = self._status
        holding = status is not None and status.state != IDLE
        if not (holding or self._was_holding or force):
            return
        self._was_holding = holding
        if status is None:
            return
        fields = image_status(status.state, (status.bbox_x, status.bbox_y, status.bbox_width, status.bbox_height),
                              (status.image_width, status.image_height), self._mode if holding else
                              mavlink.CAMERA_TRACKING_MODE_NONE)
        self._connection.mav.camera_tracking_image_status_send(*astuple(fields))

    def _log_once(self, key: str, message: str) -> None:
        now = time.monotonic()
        if now - self._logged_at.get(key, -math.inf) >= _LOG_THROTTLE_S:
            self._logged_at[key] = now
            self.get_logger().warning(message)

    def destroy_node(self):
        self._connection.close()
        super().destroy_node()


def main(args=None) -> None:
    """The `siamcar_mavlink` executable."""
    rclpy.init(args=args)
    try:
        bridge = MavlinkBridge()
    except ValueError as error:
        rclpy.logging.get_logger(NODE_NAME).fatal(str(error))
        rclpy.try_shutdown()
        raise SystemExit(2)
    try:
        rclpy.spin(bridge)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    finally:
        bridge.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()


__all__ = ["MavlinkBridge", "STOP_TRACKING", "main"]
