"""The MAVLink bridge end to end: pymavlink plays the ground station over UDP on the loopback,
the bridge and the tracking node talk over real DDS. Track commands become init boxes, every
command gets its COMMAND_ACK, refusals say why, the tracking status comes back normalised, and
bad or unknown input leaves everything running."""
import math
import os
import socket
import threading

import pytest

from node_test_support import HEIGHT, TARGET_SIDE, WIDTH, NodeHarness, scene
from wait_support import let_time_pass, wait_for

pytestmark = [pytest.mark.ros, pytest.mark.usefixtures("one_torch_thread")]
os.environ.setdefault("MAVLINK20", "1")   # as the bridge: MAVLink 2
mavutil = pytest.importorskip("pymavlink.mavutil", reason="pymavlink not installed: run scripts/setup_env.sh")
from pymavlink.dialects.v20 import common as mavlink  # noqa: E402

FRAME_NS = 33_333_333
CAMERA = (1, mavlink.MAV_COMP_ID_CAMERA)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GroundStation:
    """A pymavlink connection listening on a loopback port, collecting what the camera sends."""

    def __init__(self, port: int):
        self.link = mavutil.mavlink_connection(f"udpin:127.0.0.1:{port}", source_system=255, source_component=190,
                                               dialect="common")
        self.messages: list = []
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while self._running:
            message = self.link.recv_match(blocking=True, timeout=0.05)
            if message is not None:
                with self._lock:
                    self.messages.append(message)

    def of_type(self, kind: str) -> list:
        with self._lock:
            return [m for m in self.messages if m.get_type() == kind]

    def wait(self, kind: str, condition=lambda m: True, after: int = 0, timeout: float = 15.0):
        return wait_for(lambda: next((m for m in self.of_type(kind)[after:] if condition(m)), None), timeout,
                        f"a {kind} from the camera")

    def command(self, command: int, *params: float, component: int = CAMERA[1]):
        """Send a COMMAND_LONG; returns its COMMAND_ACK."""
        acks_before = len(self.of_type("COMMAND_ACK"))
        values = (list(params) + [0.0] * 7)[:7]
        self.link.mav.command_long_send(CAMERA[0], component, command, 0, *values)
        return self.wait("COMMAND_ACK", lambda m: m.command == command, after=acks_before)

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self.link.close()


@pytest.fixture(scope="module")
def setup(small_alexnet_checkpoint):
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter

    from siamcar_ros.ros.mavlink_bridge import MavlinkBridge

    port = free_udp_port()
    ground = GroundStation(port)
    harness = NodeHarness(domain_id=66, parameters={"checkpoint": str(small_alexnet_checkpoint), "device": "cpu",
                                                    "rate_hz": 100.0})
    harness.configure_and_activate()
    overrides = [Parameter("mavlink_url", value=f"udpout:127.0.0.1:{port}"), Parameter("status_rate_hz", value=20.0),
                 Parameter("heartbeat_rate_hz", value=5.0), Parameter("answer_timeout_s", value=5.0)]
    bridge = MavlinkBridge(context=harness.context, parameter_overrides=overrides)
    harness._spin(bridge, SingleThreadedExecutor(context=harness.context))
    ground.wait("HEARTBEAT")
    yield harness, bridge, ground
    ground.close()
    harness.close()
    bridge.destroy_node()


def send_frames(harness, bridge, start_ns: int, steps: range) -> None:
    for step in steps:
        frame, _ = scene(step)
        harness.publish_frame(frame, start_ns + step * FRAME_NS)
    last = start_ns + steps[-1] * FRAME_NS
    wait_for(lambda: bridge._newest_image is not None and
             bridge._newest_image.header.stamp.sec * 10**9 + bridge._newest_image.header.stamp.nanosec == last,
             10.0, "the bridge to see the newest frame")


def test_heartbeat_is_a_camera_component(setup):
    _, _, ground = setup
    heartbeat = ground.wait("HEARTBEAT")
    assert heartbeat.type == mavlink.MAV_TYPE_CAMERA
    assert (heartbeat.get_srcSystem(), heartbeat.get_srcComponent()) == CAMERA


def test_a_command_before_any_image_is_denied_with_the_reason(setup):
    _, _, ground = setup
    texts = len(ground.of_type("STATUSTEXT"))
    ack = ground.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, 0.2, 0.2, 0.4, 0.4)
    assert ack.result == mavlink.MAV_RESULT_DENIED
    assert "no image has arrived" in ground.wait("STATUSTEXT", after=texts).text


def test_camera_information_has_the_tracking_flags(setup):
    harness, bridge, ground = setup
    send_frames(harness, bridge, 5 * 10**9, range(0, 2))
    ack = ground.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_CAMERA_INFORMATION)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    info = ground.wait("CAMERA_INFORMATION")
    assert info.flags & mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE
    assert info.flags & mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    assert (info.resolution_h, info.resolution_v) == (320, 240)


def test_track_rectangle_point_and_stop(setup):
    harness, bridge, ground = setup
    start = 10 * 10**9
    send_frames(harness, bridge, start, range(0, 3))
    _, box = scene(2)
    x, y, w, h = box
    ack = ground.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, x / WIDTH, y / HEIGHT, (x + w) / WIDTH,
                         (y + h) / HEIGHT)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED, harness.last_status_message()
    assert "tracking target" in harness.status_with("tracking target").message
    send_frames(harness, bridge, start, range(3, 8))
    wait_for(lambda: any(st.processed_frames >= 1 and st.state == 1 for st in harness.statuses), 30.0,
             "a tracked frame")

    def same_box(m) -> bool:
        tracked = next(st for st in reversed(harness.statuses) if st.state == 1)
        return (m.tracking_status & mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
                and abs(m.rec_top_x - tracked.bbox_x / WIDTH) < 1e-3
                and abs(m.rec_top_y - tracked.bbox_y / HEIGHT) < 1e-3)

    status = ground.wait("CAMERA_TRACKING_IMAGE_STATUS", same_box)
    tracked = next(st for st in reversed(harness.statuses) if st.state == 1)
    assert status.tracking_mode == mavlink.CAMERA_TRACKING_MODE_RECTANGLE
    assert status.target_data == mavlink.CAMERA_TRACKING_TARGET_DATA_IN_STATUS
    assert abs(status.rec_bottom_x - (tracked.bbox_x + tracked.bbox_width) / WIDTH) < 1e-3
    assert abs(status.rec_bottom_y - (tracked.bbox_y + tracked.bbox_height) / HEIGHT) < 1e-3
    assert abs(status.point_x - (tracked.bbox_x + tracked.bbox_width / 2) / WIDTH) < 1e-3
    assert math.isnan(status.radius)

    # a point command: a box of the default size around the point
    _, moved = scene(7)
    cx, cy = moved[0] + TARGET_SIDE / 2, moved[1] + TARGET_SIDE / 2
    target = harness.node.pipeline.track_id + 1
    ack = ground.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, cx / WIDTH, cy / HEIGHT, 0.0)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    init = harness.status_with(f"tracking target {target}")
    side = 0.15 * HEIGHT       # point_box_fraction of the shorter side
    assert abs(init.bbox_width - side) < 1.0 and abs(init.bbox_x + init.bbox_width / 2 - cx) < 1.0
    send_frames(harness, bridge, start, range(8, 11))
    status = ground.wait("CAMERA_TRACKING_IMAGE_STATUS",
                         lambda m: m.tracking_mode == mavlink.CAMERA_TRACKING_MODE_POINT)
    assert not math.isnan(status.radius)

    # stop: the node goes IDLE and the status says so
    ack = ground.command(mavlink.MAV_CMD_CAMERA_STOP_TRACKING)
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED
    assert harness.node.session.state == 0
    ground.wait("CAMERA_TRACKING_IMAGE_STATUS",
                lambda m: m.tracking_status == mavlink.CAMERA_TRACKING_STATUS_FLAGS_IDLE)


def test_out_of_range_coordinates_are_denied_and_the_target_is_kept(setup):
    harness, bridge, ground = setup
    start = 20 * 10**9
    send_frames(harness, bridge, start, range(0, 2))
    _, box = scene(1)
    x, y, w, h = box
    assert ground.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, x / WIDTH, y / HEIGHT, (x + w) / WIDTH,
                          (y + h) / HEIGHT).result == mavlink.MAV_RESULT_ACCEPTED
    tracked = harness.node.session.state
    for params, words in (((0.5, 0.5, 1.4, 0.9), "outside the image"), ((0.6, 0.5, 0.4, 0.9), "is empty"),
                          ((float("nan"), 0.1, 0.2, 0.3), "outside the image")):
        texts = len(ground.of_type("STATUSTEXT"))
        ack = ground.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, *params)
        assert ack.result == mavlink.MAV_RESULT_DENIED
        reason = "".join(m.text for m in ground.of_type("STATUSTEXT")[texts:]) or ground.wait(
            "STATUSTEXT", after=texts).text
        assert words in reason
    texts = len(ground.of_type("STATUSTEXT"))
    assert ground.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, 0.5, 1.5).result == mavlink.MAV_RESULT_DENIED
    assert "point y" in ground.wait("STATUSTEXT", after=texts).text
    assert harness.node.session.state == tracked == 1


def test_unknown_command_and_corrupt_bytes_are_ignored_and_the_bridge_goes_on(setup):
    harness, bridge, ground = setup
    ack = ground.command(mavlink.MAV_CMD_DO_SET_SERVO, 1, 1500)
    assert ack.result == mavlink.MAV_RESULT_UNSUPPORTED
    # raw garbage at the bridge's socket, as a broken radio link would deliver
    garbage = bytes(range(256)) * 2 + b"\xfd\x09\x00\x00\x00" + bytes(20)
    ground.link.write(garbage)
    beats = len(ground.of_type("HEARTBEAT"))
    ground.wait("HEARTBEAT", after=beats)
    # a command for another component is not answered
    acks = len(ground.of_type("COMMAND_ACK"))
    ground.link.mav.command_long_send(1, 1, mavlink.MAV_CMD_CAMERA_STOP_TRACKING, 0, 0, 0, 0, 0, 0, 0, 0)
    let_time_pass(0.5, "an answer, were there one, would have come by now")
    assert len(ground.of_type("COMMAND_ACK")) == acks
    assert ground.command(mavlink.MAV_CMD_CAMERA_STOP_TRACKING).result == mavlink.MAV_RESULT_ACCEPTED
