"""The node's process and the DDS player: starts the node, plays frames and the init box, records detections."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from siamcar_ros.ros.frame_buffer import stamp_to_ns
from siamcar_ros.ros.image_conversion import bgr_to_image_fields
from siamcar_ros.ros.init_box import detection_for_box

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "demo"
NODE = f"/{NAMESPACE}/siamcar_tracker"
IMAGE_TOPIC = f"/{NAMESPACE}/image_raw"
INIT_TOPIC = f"/{NAMESPACE}/init_bbox"
CAMERA_INFO_TOPIC = f"/{NAMESPACE}/camera_info"
START_STAMP_NS = 1_000 * 1_000_000_000


@dataclass
class Received:
    """One detection message as the demo recorded it."""

    stamp_ns: int
    bbox_xywh: tuple[float, float, float, float]
    tracking: bool  # a result is present (TRACKING); empty results = LOST
    score: float


@dataclass
class Bearing:
    """The bearing ~/status gave for a frame (radians)."""

    stamp_ns: int
    azimuth: float
    elevation: float


# --------------------------------------------------------------------------- the node process
def node_command(args) -> tuple[list[str], bool]:
    """(command, autostarts): through ros2 launch when possible, else the node executable."""
    overrides = {"image_topic": IMAGE_TOPIC, "init_topic": INIT_TOPIC, "device": "cpu",
                 "camera_info_topic": CAMERA_INFO_TOPIC}
    if args.checkpoint:
        from siamcar_ros.tracking import BUNDLED_MODELS
        named = args.checkpoint in BUNDLED_MODELS and not Path(args.checkpoint).exists()
        overrides["checkpoint"] = args.checkpoint if named else str(Path(args.checkpoint).resolve())
    ros2 = shutil.which("ros2")
    if args.start_with == "launch" or (args.start_with == "auto" and ros2):
        if not ros2:
            raise SystemExit("demo: --start-with launch needs the ros2 command (source a ROS 2 install)")
        launch_args = [f"{k}:={v}" for k, v in overrides.items()]
        return [ros2, "launch", "siamcar_ros", "tracker.launch.py", f"namespace:={NAMESPACE}", *launch_args], True
    executable = shutil.which("siamcar_tracker")
    command = [executable] if executable else [sys.executable, "-m", "siamcar_ros.ros.node"]
    command += ["--ros-args", "-r", f"__ns:=/{NAMESPACE}", "--params-file", str(ROOT / "config" / "tracker.yaml")]
    for name, value in overrides.items():
        command += ["-p", f"{name}:={value}"]
    return command, False


def stop_process(process: subprocess.Popen) -> None:
    """SIGINT to the process group started for the node (ros2 launch forwards it), then wait."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# ------------------------------------------------------------------------------ the player
class DemoClient:
    """Publishes the camera and the init box; records detections and statuses."""

    def __init__(self):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
        from vision_msgs.msg import Detection2D

        from siamcar_ros.msg import TrackerStatus

        rclpy.init()
        self.node = rclpy.create_node("siamcar_demo_player")
        reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.image_pub = self.node.create_publisher(Image, IMAGE_TOPIC, reliable)
        self.init_pub = self.node.create_publisher(Detection2D, INIT_TOPIC, 10)
        self.camera_info_pub = self.node.create_publisher(CameraInfo, CAMERA_INFO_TOPIC, reliable)
        self.camera_info_fields: dict | None = None    # set: a CameraInfo goes out with every frame
        self.bearings: list[Bearing] = []
        self.received: list[Received] = []
        self.last_status = None
        self.messages: list[str] = []
        self.tracking_started = False
        self.stale_statuses = 0         # STALE statuses while the demo held a target
        self.step_ms: list[float] = []  # the node's tracking step per frame (~/status tracker_ms)
        self.node.create_subscription(Detection2D, f"{NODE}/detection", self._on_detection, 100)
        self.node.create_subscription(TrackerStatus, f"{NODE}/status", self._on_status, 100)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self.spinner.start()

    def _on_detection(self, msg) -> None:
        w, h = msg.bbox.size_x, msg.bbox.size_y
        box = (msg.bbox.center.position.x - w / 2, msg.bbox.center.position.y - h / 2, w, h)
        score = msg.results[0].hypothesis.score if msg.results else 0.0
        self.received.append(Received(stamp_to_ns(msg.header.stamp), box, bool(msg.results), score))

    def _on_status(self, msg) -> None:
        self.last_status = msg
        if msg.state == msg.STALE:
            self.stale_statuses += 1
        if "tracking target" in msg.message:
            self.tracking_started = True
        if msg.latency_ms > 0:      # a frame's status: the node's step time for it
            self.step_ms.append(msg.tracker_ms)
        if msg.has_bearing and msg.latency_ms > 0:
            self.bearings.append(Bearing(stamp_to_ns(msg.header.stamp), msg.bearing_azimuth, msg.bearing_elevation))
        if msg.message and (not self.messages or self.messages[-1] != msg.message):
            self.messages.append(msg.message)

    def wait_until_active(self, autostarts: bool, process: subprocess.Popen, timeout: float = 120.0) -> None:
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState, GetState

        deadline = time.monotonic() + timeout
        get_state = self.node.create_client(GetState, f"{NODE}/get_state")
        while not get_state.wait_for_service(timeout_sec=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"demo: the node did not start (exit code {process.poll()})")
        if not autostarts:
            change = self.node.create_client(ChangeState, f"{NODE}/change_state")
            change.wait_for_service(timeout_sec=10.0)
            for transition in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE):
                result = self._call(change, ChangeState.Request(transition=Transition(id=transition)), deadline)
                if not result.success:
                    reason = self.messages[-1] if self.messages else "see the node's log"
                    raise SystemExit(f"demo: lifecycle transition {transition} failed: {reason}")
        while self._call(get_state, GetState.Request(), deadline).current_state.label != "active":
            if process.poll() is not None or time.monotonic() > deadline:
                reason = self.messages[-1] if self.messages else "see the node's log"
                raise SystemExit(f"demo: the node did not become active: {reason}")
            time.sleep(0.2)
        while self.image_pub.get_subscription_count() == 0 or self.init_pub.get_subscription_count() == 0:
            time.sleep(0.05)

    @staticmethod
    def _call(client, request, deadline: float):
        future = client.call_async(request)
        while not future.done():
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: no answer from {client.srv_name}")
            time.sleep(0.01)
        return future.result()

    @staticmethod
    def wait_for(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def release_target(self) -> None:
        """Ask the node to forget the target (~/reset), so it stops expecting frames."""
        from std_srvs.srv import Trigger

        reset = self.node.create_client(Trigger, f"{NODE}/reset")
        if reset.wait_for_service(timeout_sec=2.0):
            self._call(reset, Trigger.Request(), time.monotonic() + 5.0)

    def publish_frame(self, frame: np.ndarray, stamp_ns: int) -> None:
        from sensor_msgs.msg import CameraInfo, Image

        msg = Image(**bgr_to_image_fields(frame))
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        msg.header.frame_id = "demo_camera"
        if self.camera_info_fields is not None:     # the camera's calibration first, as drivers do
            self.camera_info_pub.publish(CameraInfo(header=msg.header, **self.camera_info_fields))
        self.image_pub.publish(msg)

    def publish_init(self, box_xywh, stamp_ns: int) -> None:
        from std_msgs.msg import Header

        header = Header()
        header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        self.init_pub.publish(detection_for_box(box_xywh, header))

    def close(self) -> None:
        import rclpy

        self.executor.shutdown()
        self.spinner.join(timeout=5.0)     # no thread left inside rclpy at interpreter exit
        self.node.destroy_node()
        rclpy.try_shutdown()


def play(client: DemoClient, sequence, rate_hz: float) -> tuple[list[int], float]:
    """Init on frame 0, then, once the node tracks, frames 1.. at `rate_hz`; when the last
    detection is in (or 3 s on), the target is released (~/reset), as an operator would when
    the camera stops. Returns (stamps, seconds of playing)."""
    period_ns = int(1e9 / rate_hz)
    stamps = [START_STAMP_NS + i * period_ns for i in range(len(sequence))]
    client.publish_frame(sequence.frames[0], stamps[0])
    time.sleep(0.5)
    client.publish_init(sequence.ground_truth[0], stamps[0])
    client.wait_for(lambda: client.tracking_started, 10.0)
    started = next_time = time.monotonic()
    for index in tqdm(range(1, len(sequence)), desc="camera", unit="frame"):
        frame = sequence.frames[index]  # rendered before waiting, so the rate holds
        next_time += 1.0 / rate_hz
        time.sleep(max(0.0, next_time - time.monotonic()))
        client.publish_frame(frame, stamps[index])
    elapsed = time.monotonic() - started
    client.wait_for(lambda: any(r.stamp_ns == stamps[-1] for r in client.received), 3.0)
    client.release_target()
    return stamps, elapsed

