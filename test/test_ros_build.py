"""The colcon build made by scripts/setup_env.sh: generated interfaces import from the install
space with the agreed fields, vision_msgs is the distribution's message set (same type hashes,
so it interoperates on the wire), messages cross real DDS between participants and processes,
and the install space holds the node executables, launch/ and config/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

try:
    import rclpy
except ImportError as error:  # only outside the environment of scripts/setup_env.sh
    if os.environ.get("CI"):
        raise RuntimeError("rclpy must be importable in CI: make test runs scripts/setup_env.sh") from error
    pytest.skip(f"rclpy not importable ({error}): run `make env` and source env.sh",
                allow_module_level=True)

from ament_index_python.packages import get_package_prefix, get_package_share_directory  # noqa: E402
import rclpy.executors  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from vision_msgs.msg import Detection2D, ObjectHypothesisWithPose  # noqa: E402

from siamcar_ros.msg import TrackerStatus  # noqa: E402

from wait_support import poll, wait_for  # noqa: E402

pytestmark = pytest.mark.ros

# Type hashes (REP 2011) of the distribution's vision_msgs 4.1 messages: equal hashes mean equal
# names, field names and field types, which is what DDS endpoints compare.
DISTRIBUTION_VISION_MSGS_HASHES = {
    "Detection2D": "RIHS01_0d12b69df5c593b3455b7346fac8205437a7d4bcb09b9e0e0b2dde787ded38ea",
    "Detection2DArray": "RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968",
    "BoundingBox2D": "RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f",
    "ObjectHypothesisWithPose": "RIHS01_41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc",
    "Detection3D": "RIHS01_ddd703be132ab0b69d33121f1bb034132bfbb3b0ac5f9fb1516005ba1c8a265b",
}
RELIABLE_LATCHED = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.TRANSIENT_LOCAL)
TIMEOUT_S = 15.0


def domain_id() -> int:
    return int(os.environ.get("ROS_DOMAIN_ID", "0"))


def unique_topic(name: str) -> str:
    # Parallel test runs on one machine may share a domain; their topics must not mix.
    return f"/ros_build_test_{os.getpid()}/{name}"


class Participant:
    """One rclpy context (its own DDS participant) with one node spinning in a thread."""

    def __init__(self, name: str):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id())
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
        self.thread.join(timeout=5.0)


@pytest.fixture
def participants():
    created = []

    def make(name: str) -> Participant:
        created.append(Participant(name))
        return created[-1]

    yield make
    for participant in created:
        participant.close()


def sample_status() -> TrackerStatus:
    status = TrackerStatus()
    status.header.stamp.sec, status.header.stamp.nanosec = 1_700_000_000, 123_456_789
    status.header.frame_id = "camera"
    status.state = TrackerStatus.LOST
    status.confidence, status.centerness = 0.25, 0.5
    status.bbox_x, status.bbox_y, status.bbox_width, status.bbox_height = 10.5, 20.25, 30.0, 40.0
    status.image_width, status.image_height = 640, 480
    status.target_offset_x, status.target_offset_y = -0.5, 0.75
    status.target_area_fraction = 0.00390625
    status.latency_ms, status.tracker_ms = 12.5, 9.0
    status.processed_frames, status.dropped_frames = 2**40 + 7, 3
    status.message = "confidence below lost_threshold for 5 frames"
    return status


def sample_detection() -> Detection2D:
    detection = Detection2D()
    detection.header.stamp.sec, detection.header.stamp.nanosec = 42, 500
    detection.header.frame_id = "camera"
    detection.bbox.center.position.x, detection.bbox.center.position.y = 320.5, 240.25
    detection.bbox.center.theta = 0.0
    detection.bbox.size_x, detection.bbox.size_y = 64.0, 48.0
    hypothesis = ObjectHypothesisWithPose()
    hypothesis.hypothesis.class_id = "target"
    hypothesis.hypothesis.score = 0.875
    detection.results.append(hypothesis)
    detection.id = "1"
    return detection


# --- interfaces -------------------------------------------------------------------------------

def test_tracker_status_has_the_agreed_fields_and_types():
    assert TrackerStatus.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "state": "uint8", "frames_since_loss": "uint32",
        "confidence": "float", "centerness": "float",
        "bbox_x": "float", "bbox_y": "float", "bbox_width": "float", "bbox_height": "float",
        "image_width": "uint32", "image_height": "uint32",
        "target_offset_x": "float", "target_offset_y": "float", "target_area_fraction": "float",
        "rivals": "uint32", "rival_ratio": "float", "ambiguous": "boolean",
        "has_bearing": "boolean", "bearing_azimuth": "float", "bearing_elevation": "float",
        "has_depth": "boolean", "target_depth_m": "float",
        "latency_ms": "float", "tracker_ms": "float",
        "processed_frames": "uint64", "dropped_frames": "uint64", "message": "string",
    }
    assert (TrackerStatus.IDLE, TrackerStatus.TRACKING, TrackerStatus.LOST, TrackerStatus.SEARCHING,
            TrackerStatus.STALE) == (0, 1, 2, 3, 4)
    assert TrackerStatus().state == TrackerStatus.IDLE


def test_generated_interfaces_come_from_the_install_space_and_modules_from_the_checkout():
    import siamcar_ros
    import siamcar_ros.msg

    install_prefix = Path(get_package_prefix("siamcar_ros"))
    assert Path(siamcar_ros.__file__).resolve() == REPO / "siamcar_ros" / "__init__.py"
    assert Path(siamcar_ros.msg.__file__).is_relative_to(install_prefix)


def test_vision_msgs_offers_the_distribution_message_set_with_its_fields():
    import vision_msgs.msg as vm

    names = ["Point2D", "Pose2D", "BoundingBox2D", "BoundingBox2DArray", "BoundingBox3D",
             "BoundingBox3DArray", "ObjectHypothesis", "ObjectHypothesisWithPose", "Classification",
             "Detection2D", "Detection2DArray", "Detection3D", "Detection3DArray", "VisionClass",
             "LabelInfo", "VisionInfo"]
    missing = [name for name in names if not hasattr(vm, name)]
    assert not missing
    assert vm.Detection2D.get_fields_and_field_types() == {
        "header": "std_msgs/Header", "results": "sequence<vision_msgs/ObjectHypothesisWithPose>",
        "bbox": "vision_msgs/BoundingBox2D", "id": "string"}
    assert vm.BoundingBox2D.get_fields_and_field_types() == {
        "center": "vision_msgs/Pose2D", "size_x": "double", "size_y": "double"}
    assert vm.Pose2D.get_fields_and_field_types() == {"position": "vision_msgs/Point2D", "theta": "double"}
    assert vm.ObjectHypothesis.get_fields_and_field_types() == {"class_id": "string", "score": "double"}
    assert vm.ObjectHypothesisWithPose.get_fields_and_field_types() == {
        "hypothesis": "vision_msgs/ObjectHypothesis", "pose": "geometry_msgs/PoseWithCovariance"}


def test_vision_msgs_type_hashes_equal_the_distribution_ones():
    import json

    message_dir = Path(get_package_share_directory("vision_msgs")) / "msg"
    if not (message_dir / "Detection2D.json").exists():
        pytest.skip("this ROS 2 (before Iron) publishes no type hashes")
    for name, expected in DISTRIBUTION_VISION_MSGS_HASHES.items():
        description = json.loads((message_dir / f"{name}.json").read_text())
        assert description["type_hashes"][0]["hash_string"] == expected, name


# --- over DDS ---------------------------------------------------------------------------------

def test_detection_and_status_cross_dds_between_two_participants(participants):
    sender, receiver = participants("ros_build_sender"), participants("ros_build_receiver")
    received = {"detection": [], "status": []}
    receiver.node.create_subscription(Detection2D, unique_topic("detection"),
                                      received["detection"].append, RELIABLE_LATCHED)
    receiver.node.create_subscription(TrackerStatus, unique_topic("status"),
                                      received["status"].append, RELIABLE_LATCHED)
    detection_pub = sender.node.create_publisher(Detection2D, unique_topic("detection"), RELIABLE_LATCHED)
    status_pub = sender.node.create_publisher(TrackerStatus, unique_topic("status"), RELIABLE_LATCHED)
    detection_pub.publish(sample_detection())
    status_pub.publish(sample_status())

    wait_for(lambda: received["detection"] and received["status"], TIMEOUT_S,
             "the latched detection and status", detail=lambda: f"received: {received}")
    assert received["detection"][0] == sample_detection()
    assert received["status"][0] == sample_status()
    endpoints = receiver.node.get_publishers_info_by_topic(unique_topic("detection"))
    if endpoints and hasattr(endpoints[0], "topic_type_hash"):  # Iron and later
        assert str(endpoints[0].topic_type_hash) == DISTRIBUTION_VISION_MSGS_HASHES["Detection2D"]


def test_status_from_another_process_arrives(participants):
    """A publisher in a child process started with this environment (as launch would)."""
    receiver = participants("ros_build_process_receiver")
    received = []
    topic = unique_topic("status_from_process")
    receiver.node.create_subscription(TrackerStatus, topic, received.append, RELIABLE_LATCHED)
    publisher_code = textwrap.dedent(f"""
        import sys, rclpy
        from siamcar_ros.msg import TrackerStatus
        rclpy.init(domain_id={domain_id()})
        node = rclpy.create_node("ros_build_process_sender")
        qos = rclpy.qos.QoSProfile(depth=10, reliability=rclpy.qos.ReliabilityPolicy.RELIABLE,
                                   durability=rclpy.qos.DurabilityPolicy.TRANSIENT_LOCAL)
        publisher = node.create_publisher(TrackerStatus, {topic!r}, qos)
        publisher.publish(TrackerStatus(state=TrackerStatus.TRACKING, confidence=0.5,
                                        processed_frames=7, message="from a child process"))
        sys.stdin.readline()  # the participant stays until the test has the latched sample
        node.destroy_node()
        rclpy.shutdown()
    """)
    child = subprocess.Popen([sys.executable, "-c", publisher_code], cwd="/", stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        poll(lambda: received or child.poll() is not None, TIMEOUT_S + 30)
    finally:
        try:
            _, stderr = child.communicate("received\n", timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            _, stderr = child.communicate()
    assert child.returncode == 0, stderr
    assert received, "the child process's status never arrived"
    assert (received[0].state, received[0].processed_frames, received[0].message) == (
        TrackerStatus.TRACKING, 7, "from a child process")


# --- install space ----------------------------------------------------------------------------

@pytest.mark.parametrize("executable, module", [
    ("siamcar_tracker", "siamcar_ros.ros.node"),
    ("select_target", "siamcar_ros.ros.select_target"),
])
def test_node_executables_are_installed_and_name_their_module(executable, module):
    import importlib.util

    launcher = Path(get_package_prefix("siamcar_ros")) / "lib" / "siamcar_ros" / executable
    assert launcher.is_file() and os.access(launcher, os.X_OK), launcher
    lines = launcher.read_text().splitlines()
    interpreter = Path(lines[0].removeprefix("#!"))
    assert interpreter.is_file() and os.access(interpreter, os.X_OK), lines[0]
    assert f"from {module} import main" in lines
    assert importlib.util.find_spec(module) is not None, f"{module} (run by {executable}) is missing"


def test_installed_tracker_executable_brings_up_the_lifecycle_node(participants):
    from lifecycle_msgs.srv import GetState

    node_name = f"ros_build_tracker_{os.getpid()}"
    launcher = Path(get_package_prefix("siamcar_ros")) / "lib" / "siamcar_ros" / "siamcar_tracker"
    process = subprocess.Popen([str(launcher), "--ros-args", "-r", f"__node:={node_name}"],
                               cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client_participant = participants("ros_build_lifecycle_client")
    try:
        client = client_participant.node.create_client(GetState, f"/{node_name}/get_state")
        assert client.wait_for_service(timeout_sec=60.0), "the node's get_state service never appeared"
        # A reply can be lost when the request goes out before the node's side has discovered
        # this client's reply reader (DDS discovery is not symmetric in time): ask again.
        result, deadline = None, time.monotonic() + 4 * TIMEOUT_S
        while result is None and time.monotonic() < deadline:
            future = client.call_async(GetState.Request())
            if poll(future.done, 5.0):
                result = future.result()
        assert result is not None, "get_state never answered"
        assert result.current_state.label == "unconfigured"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode in (0, -signal.SIGINT), output


def test_install_space_alone_provides_the_modules_and_the_interfaces():
    """As on a robot: only the install space on the path, no checkout."""
    from ament_index_python.resources import get_resource

    interfaces, _ = get_resource("rosidl_interfaces", "siamcar_ros")
    assert "msg/TrackerStatus.msg" in interfaces.splitlines()
    install_site = Path(sys.modules["siamcar_ros.msg"].__file__).parents[2]
    probe = ("import siamcar_ros, siamcar_ros.msg, siamcar_ros.tracking, siamcar_ros.ros.node; "
             "print(siamcar_ros.__file__)")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(install_site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                               if p and Path(p).resolve() != REPO])}
    child = subprocess.run([sys.executable, "-c", probe], cwd="/", env=environment,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert Path(child.stdout.strip()).is_relative_to(Path(get_package_prefix("siamcar_ros")))


def test_launch_config_and_models_are_installed_to_share():
    share = Path(get_package_share_directory("siamcar_ros"))
    for folder in ("launch", "config", "models"):
        in_checkout = {p.relative_to(REPO / folder) for p in (REPO / folder).rglob("*") if p.is_file()}
        installed = {p.relative_to(share / folder) for p in (share / folder).rglob("*") if p.is_file()} \
            if (share / folder).is_dir() else set()
        assert in_checkout <= installed, f"{folder}/ not installed: {sorted(in_checkout - installed)}"
    assert (share / "config" / "tracker.yaml").is_file()
    assert (share / "launch" / "tracker.launch.py").is_file()


def test_package_manifest_declares_an_interface_package_with_the_node_dependencies():
    manifest = ElementTree.parse(REPO / "package.xml").getroot()
    assert manifest.get("format") == "3"
    assert manifest.findtext("name") == "siamcar_ros"
    assert manifest.findtext("export/build_type") == "ament_cmake"
    assert manifest.findtext("member_of_group") == "rosidl_interface_packages"
    build_tools = {e.text for e in manifest.findall("buildtool_depend")}
    runtime = {e.text for e in manifest.findall("exec_depend")} | {e.text for e in manifest.findall("depend")}
    assert {"ament_cmake", "rosidl_default_generators"} <= build_tools
    assert {"rclpy", "sensor_msgs", "vision_msgs", "std_srvs", "lifecycle_msgs", "launch_ros",
            "rosidl_default_runtime"} <= runtime
