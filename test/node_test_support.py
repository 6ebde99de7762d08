"""Shared set-up for the node tests: the node in its own executor and a client node in another,
talking over DDS (one ROS domain per test module), plus synthetic frames and a small model."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

rclpy = pytest.importorskip("rclpy", reason="rclpy not installed: run scripts/setup_env.sh")
pytest.importorskip("vision_msgs.msg", reason="vision_msgs not built: run scripts/setup_env.sh")
pytest.importorskip("siamcar_ros.msg", reason="siamcar_ros interfaces not built: run scripts/setup_env.sh")

from lifecycle_msgs.msg import Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState, GetState  # noqa: E402
from rcl_interfaces.srv import SetParameters  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402
from vision_msgs.msg import Detection2D  # noqa: E402

from siamcar_ros.msg import TrackerStatus  # noqa: E402
from siamcar_ros.ros.executor import NodeExecutor  # noqa: E402
from siamcar_ros.ros.node import TrackerNode  # noqa: E402

from wait_support import wait_for  # noqa: E402

NODE = "siamcar_tracker"
TIMEOUT_S = 10.0
WIDTH, HEIGHT = 320, 240
TARGET_SIDE = 40


def small_checkpoint(directory: Path, backbone: str = "alexnet") -> Path:
    """A real, untrained, small SiamCAR model saved as a checkpoint file."""
    import torch

    from siamcar_ros.model import build_model, save_checkpoint

    torch.manual_seed(0)
    model = build_model(backbone, width_mult=0.5, neck_channels=32, head_channels=32, head_num_convs=1)
    return save_checkpoint(directory / f"small_{backbone}.pth", model)


def scene(step: int, width: int = WIDTH, height: int = HEIGHT) -> tuple[np.ndarray, tuple]:
    """A textured background with a bright square target moving right and down; (frame, box)."""
    rng = np.random.default_rng(7)
    frame = rng.integers(40, 110, size=(height, width, 3), dtype=np.uint8)
    x, y = 60 + 4 * step, 50 + 2 * step
    frame[y:y + TARGET_SIDE, x:x + TARGET_SIDE] = (40, 200, 240)
    frame[y + 12:y + 28, x + 12:x + 28] = (200, 40, 60)
    return frame, (float(x), float(y), float(TARGET_SIDE), float(TARGET_SIDE))


def image_message(frame: np.ndarray, stamp_ns: int, encoding: str = "bgr8") -> Image:
    msg = Image()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(int(stamp_ns), 1_000_000_000)
    msg.header.frame_id = "camera"
    msg.height, msg.width = frame.shape[:2]
    msg.encoding = encoding
    msg.step = frame.shape[1] * (frame.shape[2] if frame.ndim == 3 else 1)
    msg.data = frame.tobytes()
    return msg


def init_message(box_xywh, stamp_ns: int = 0) -> Detection2D:
    x, y, w, h = box_xywh
    msg = Detection2D()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(int(stamp_ns), 1_000_000_000)
    msg.bbox.center.position.x, msg.bbox.center.position.y = x + w / 2.0, y + h / 2.0
    msg.bbox.size_x, msg.bbox.size_y = w, h
    return msg


def stamp_ns_of(msg) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


class NodeHarness:
    """The tracker node spinning in one executor; a client node (publishers, subscriptions,
    lifecycle/parameter/reset clients) spinning in another."""

    def __init__(self, domain_id: int, parameters: dict, node_name: str = NODE):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        self.name = node_name
        self.node = TrackerNode(node_name, context=self.context, parameter_overrides=overrides)
        self.client = rclpy.create_node(f"{node_name}_test_client", context=self.context)
        self._executors = []
        self._spin(self.node, NodeExecutor(num_threads=3, context=self.context))
        self._spin(self.client, SingleThreadedExecutor(context=self.context))
        self.detections: list[Detection2D] = []
        self.statuses: list[TrackerStatus] = []
        self.debug_images: list[Image] = []
        self._make_client_interfaces()

    def _spin(self, node, executor) -> None:
        executor.add_node(node)
        thread = threading.Thread(target=executor.spin, daemon=True)
        thread.start()
        self._executors.append((executor, thread))

    def _make_client_interfaces(self) -> None:
        c = self.client
        reliable = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        self.image_pub = c.create_publisher(Image, "image_raw", reliable)
        self.init_pub = c.create_publisher(Detection2D, "init_bbox", 10)
        c.create_subscription(Detection2D, f"{self.name}/detection", self.detections.append, 100)
        c.create_subscription(TrackerStatus, f"{self.name}/status", self.statuses.append, 100)
        self.change_state_client = c.create_client(ChangeState, f"{self.name}/change_state")
        self.get_state_client = c.create_client(GetState, f"{self.name}/get_state")
        self.set_parameters_client = c.create_client(SetParameters, f"{self.name}/set_parameters")
        self.reset_client = c.create_client(Trigger, f"{self.name}/reset")

    # ------------------------------------------------------------------------ services
    def call(self, client, request):
        assert client.wait_for_service(timeout_sec=TIMEOUT_S), f"service {client.srv_name} not available"
        future = client.call_async(request)
        wait_for(future.done, 60.0, f"an answer from {client.srv_name}")  # configure loads a model
        return future.result()

    def transition(self, transition_id: int) -> bool:
        return self.call(self.change_state_client, ChangeState.Request(transition=Transition(id=transition_id))).success

    def state(self) -> str:
        return self.call(self.get_state_client, GetState.Request()).current_state.label

    def configure_and_activate(self) -> None:
        assert self.transition(Transition.TRANSITION_CONFIGURE), self.last_status_message()
        assert self.transition(Transition.TRANSITION_ACTIVATE)
        self.wait_for_subscribers()

    def configure_and_activate_for(self, image_topic: str) -> None:
        """configure + activate when the node listens to another image topic than image_raw."""
        assert self.transition(Transition.TRANSITION_CONFIGURE), self.last_status_message()
        assert self.transition(Transition.TRANSITION_ACTIVATE)
        self.wait_until(lambda: self.init_pub.get_subscription_count() > 0
                        and self.client.count_subscribers(image_topic) > 0, "the node's subscriptions")

    def set_parameters(self, **values):
        request = SetParameters.Request(
            parameters=[Parameter(n, value=v).to_parameter_msg() for n, v in values.items()])
        return self.call(self.set_parameters_client, request).results

    def reset(self):
        return self.call(self.reset_client, Trigger.Request())

    # ----------------------------------------------------------------------- messages
    def wait_for_subscribers(self) -> None:
        self.wait_until(lambda: self.image_pub.get_subscription_count() > 0
                        and self.init_pub.get_subscription_count() > 0, "the node's subscriptions")

    def wait_until(self, predicate, what: str, timeout: float = TIMEOUT_S):
        """wait_for, with the node's last status message in the failure."""
        return wait_for(predicate, timeout, what, detail=lambda: f"last status: {self.last_status_message()!r}")

    def status_with(self, text: str, timeout: float = TIMEOUT_S) -> TrackerStatus:
        return self.wait_until(lambda: next((s for s in reversed(self.statuses) if text in s.message), None),
                               f"a status message containing {text!r}", timeout)

    def last_status_message(self) -> str:
        return self.statuses[-1].message if self.statuses else "<no status received>"

    def publish_frame(self, frame: np.ndarray, stamp_ns: int, encoding: str = "bgr8") -> None:
        self.image_pub.publish(image_message(frame, stamp_ns, encoding))

    def publish_and_wait_detection(self, frame: np.ndarray, stamp_ns: int) -> Detection2D:
        self.publish_frame(frame, stamp_ns)
        return self.wait_until(
            lambda: next((d for d in self.detections if stamp_ns_of(d) == stamp_ns), None),
            f"a detection stamped {stamp_ns}")

    def start_tracking(self, first_stamp_ns: int) -> None:
        """Send frame 0 of the scene, then an init box on it (by stamp)."""
        frame, box = scene(0)
        self.publish_frame(frame, first_stamp_ns)
        self.wait_until(lambda: self.has_frame(first_stamp_ns), "the first frame to be buffered")
        self.init_pub.publish(init_message(box, first_stamp_ns))
        self.status_with(f"from the frame stamped {first_stamp_ns // 10**9}.")

    def has_frame(self, stamp_ns: int) -> bool:
        try:
            self.node.pipeline.buffer.find(stamp_ns, 0)
            return True
        except LookupError:
            return False

    def close(self) -> None:
        for executor, thread in self._executors:
            executor.shutdown(timeout_sec=5.0)
            thread.join(timeout=5.0)
        self.node.destroy_node()
        self.client.destroy_node()
        rclpy.try_shutdown(context=self.context)
