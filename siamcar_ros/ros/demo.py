"""The demo behind `make demo`: the tracking node on a procedural sequence played as a camera.

1. starts the node: `ros2 launch siamcar_ros tracker.launch.py` where the ros2 command
   exists, else the `siamcar_tracker` executable (or `python -m siamcar_ros.ros.node`),
   configured and activated through the lifecycle services;
2. plays a seeded procedural sequence (exact ground truth) as a 30 Hz sensor_msgs/Image topic,
   sends the first frame's box on the init topic, stamped with that frame;
3. records the vision_msgs/Detection2D stream and the node's status;
4. writes to the output folder (out/demo/ by default): `demo.mp4` (ground truth green, the
   node's box yellow while TRACKING and red while LOST), `success.png` (success plot),
   `detections.csv` and `summary.txt` (one line: success AUC, frames/s, dropped frames).

A frame the node skipped (it only ever tracks the newest frame) is scored with the newest box
received before it, which is what a consumer of the topic would have had at that moment.

    python -m siamcar_ros.ros.demo [--seed 1] [--frames 300] [--checkpoint model.pth] [--out out/demo]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
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
START_STAMP_NS = 1_000 * 1_000_000_000


@dataclass
class Received:
    stamp_ns: int
    bbox_xywh: tuple[float, float, float, float]
    tracking: bool  # a result is present (TRACKING); empty results = LOST
    score: float


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(prog="siamcar-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="procedural sequence seed (1: rotation, blur, shake)")
    parser.add_argument("--frames", type=int, default=300, help="sequence length (at 30 Hz)")
    parser.add_argument("--rate", type=float, default=30.0, help="camera rate, frames/s")
    parser.add_argument("--checkpoint", default="",
                        help="model file or bundled model name (default, fast); default: the default model")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo")
    parser.add_argument("--start-with", choices=("auto", "launch", "executable"), default="auto",
                        help="how to start the node (auto: ros2 launch when available)")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- the node process
def node_command(args) -> tuple[list[str], bool]:
    """(command, autostarts): through ros2 launch when possible, else the node executable."""
    overrides = {"image_topic": IMAGE_TOPIC, "init_topic": INIT_TOPIC, "device": "cpu"}
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
        from sensor_msgs.msg import Image
        from vision_msgs.msg import Detection2D

        from siamcar_ros.msg import TrackerStatus

        rclpy.init()
        self.node = rclpy.create_node("siamcar_demo_player")
        reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.image_pub = self.node.create_publisher(Image, IMAGE_TOPIC, reliable)
        self.init_pub = self.node.create_publisher(Detection2D, INIT_TOPIC, 10)
        self.received: list[Received] = []
        self.last_status = None
        self.messages: list[str] = []
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

    def publish_frame(self, frame: np.ndarray, stamp_ns: int) -> None:
        from sensor_msgs.msg import Image

        msg = Image(**bgr_to_image_fields(frame))
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        msg.header.frame_id = "demo_camera"
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
    """Init on frame 0, then frames 1.. at `rate_hz`; returns (stamps, seconds of playing)."""
    period_ns = int(1e9 / rate_hz)
    stamps = [START_STAMP_NS + i * period_ns for i in range(len(sequence))]
    client.publish_frame(sequence.frames[0], stamps[0])
    time.sleep(0.5)
    client.publish_init(sequence.ground_truth[0], stamps[0])
    time.sleep(0.5)
    started = next_time = time.monotonic()
    for index in tqdm(range(1, len(sequence)), desc="camera", unit="frame"):
        frame = sequence.frames[index]  # rendered before waiting, so the rate holds
        next_time += 1.0 / rate_hz
        time.sleep(max(0.0, next_time - time.monotonic()))
        client.publish_frame(frame, stamps[index])
    elapsed = time.monotonic() - started
    time.sleep(1.5)  # the last detections
    return stamps, elapsed


# ------------------------------------------------------------------------------- outputs
def boxes_per_frame(stamps: list[int], received: list[Received], first_box) -> tuple[np.ndarray, list]:
    """The newest detection at or before each frame's stamp (frame 0: the init box)."""
    by_stamp = sorted(received, key=lambda r: r.stamp_ns)
    boxes, states, cursor, current = [], [], 0, Received(stamps[0], tuple(first_box), True, 1.0)
    for stamp in stamps:
        while cursor < len(by_stamp) and by_stamp[cursor].stamp_ns <= stamp:
            current = by_stamp[cursor]
            cursor += 1
        boxes.append(current.bbox_xywh)
        states.append(current)
    return np.array(boxes, float), states


def write_video(path: Path, sequence, predicted: np.ndarray, states: list, rate_hz: float) -> Path:
    height, width = sequence.frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), rate_hz, (width, height))
    if not writer.isOpened():
        path = path.with_suffix(".avi")
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), rate_hz, (width, height))
    for index in tqdm(range(len(sequence)), desc="video", unit="frame"):
        frame = sequence.frames[index].copy()
        _draw_box(frame, sequence.ground_truth[index], (0, 200, 0))
        colour = (0, 220, 255) if states[index].tracking else (0, 0, 255)
        _draw_box(frame, predicted[index], colour)
        cv2.putText(frame, f"frame {index}  score {states[index].score:.2f}", (10, 24),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
        writer.write(frame)
    writer.release()
    return path


def _draw_box(frame: np.ndarray, box, colour) -> None:
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(frame, (x, y), (x + w, y + h), colour, 2)


def write_success_plot(path: Path, ious: np.ndarray, auc: float, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siamcar_ros.evaluation.metrics import SUCCESS_THRESHOLDS, success_curve

    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot(SUCCESS_THRESHOLDS, success_curve(ious), label=f"siamcar_tracker node [{auc:.3f}]")
    axes.set(xlabel="overlap threshold", ylabel="success rate", title=title, xlim=(0, 1), ylim=(0, 1.02))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_outputs(args, sequence, stamps, client: DemoClient, elapsed: float) -> str:
    from siamcar_ros.evaluation.metrics import iou, success_curve

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    predicted, states = boxes_per_frame(stamps, client.received, sequence.ground_truth[0])
    scored = ~sequence.absent
    scored[0] = False  # the init frame is given, not tracked
    ious = iou(predicted[scored], sequence.ground_truth[scored])
    auc = float(np.mean(success_curve(ious)))
    write_success_plot(out / "success.png", ious, auc, f"procedural seed {args.seed}, {len(sequence)} frames")
    video = write_video(out / "demo.mp4", sequence, predicted, states, args.rate)
    with open(out / "detections.csv", "w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["stamp_ns", "x", "y", "w", "h", "tracking", "score"])
        for r in sorted(client.received, key=lambda r: r.stamp_ns):
            table.writerow([r.stamp_ns, *(f"{v:.2f}" for v in r.bbox_xywh), int(r.tracking), f"{r.score:.4f}"])
    status = client.last_status
    processed = status.processed_frames if status else len(client.received)
    dropped = status.dropped_frames if status else len(stamps) - 1 - len(client.received)
    summary = (f"success AUC {auc:.3f} | {processed / elapsed:.1f} frames/s tracked "
               f"({processed} of {len(stamps) - 1} frames at {args.rate:g} Hz) | dropped frames {dropped}")
    (out / "summary.txt").write_text(summary + "\n")
    print(f"wrote {video}, {out / 'success.png'}, {out / 'detections.csv'}, {out / 'summary.txt'}")
    return summary


def main(argv=None) -> int:
    args = parse_arguments(argv)
    from siamcar_ros.data.procedural import generate_sequence
    from siamcar_ros.tracking import default_checkpoint_path

    if not args.checkpoint and not default_checkpoint_path().is_file():
        print(f"demo: the bundled default model {default_checkpoint_path()} is missing; "
              "pass --checkpoint <file>", file=sys.stderr)
        return 2
    os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(ROOT / "config" / "fastdds_large_images.xml"))
    sequence = generate_sequence(seed=args.seed, length=args.frames, size=(480, 640))
    command, autostarts = node_command(args)
    print("starting the node:", " ".join(command))
    process = subprocess.Popen(command, start_new_session=True)
    client = None
    try:
        client = DemoClient()
        client.wait_until_active(autostarts, process)
        stamps, elapsed = play(client, sequence, args.rate)
        summary = write_outputs(args, sequence, stamps, client, elapsed)
    finally:
        if client is not None:
            client.close()
        stop_process(process)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
