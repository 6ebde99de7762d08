"""Lifecycle of the tracking node driven through the lifecycle_msgs services from a client node:
transitions, bad configurations that fail cleanly, and configure-only parameters."""

import pytest

from node_test_support import NodeHarness, small_checkpoint

pytestmark = pytest.mark.ros

from lifecycle_msgs.msg import Transition  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile  # noqa: E402

from siamcar_ros.msg import TrackerStatus  # noqa: E402

CONFIGURE = Transition.TRANSITION_CONFIGURE
ACTIVATE = Transition.TRANSITION_ACTIVATE
DEACTIVATE = Transition.TRANSITION_DEACTIVATE
CLEANUP = Transition.TRANSITION_CLEANUP


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    directory = tmp_path_factory.mktemp("models")
    corrupt = directory / "corrupt.pth"
    corrupt.write_bytes(b"this is not a torch checkpoint" * 10)
    return {"alexnet": small_checkpoint(directory, "alexnet"), "corrupt": corrupt,
            "missing": directory / "no_such_model.pth"}


@pytest.fixture(scope="module")
def harness(checkpoints):
    harness = NodeHarness(domain_id=61, parameters={"checkpoint": str(checkpoints["alexnet"]),
                                                     "device": "cpu"})
    yield harness
    harness.close()


@pytest.fixture
def unconfigured(harness, checkpoints):
    yield harness
    label = harness.state()
    if label == "active":
        harness.transition(DEACTIVATE)
        label = harness.state()
    if label == "inactive":
        harness.transition(CLEANUP)
    assert harness.state() == "unconfigured"
    harness.set_parameters(checkpoint=str(checkpoints["alexnet"]), device="cpu", backbone="")


def test_full_cycle_through_lifecycle_services(unconfigured):
    h = unconfigured
    assert h.state() == "unconfigured"
    assert h.transition(CONFIGURE) and h.state() == "inactive"
    assert h.status_with("configured").state == 0
    assert h.transition(ACTIVATE) and h.state() == "active"
    assert h.transition(DEACTIVATE) and h.state() == "inactive"
    assert h.node.tracker is not None  # deactivate keeps the model
    assert h.transition(CLEANUP) and h.state() == "unconfigured"
    assert h.node.tracker is None
    assert h.status_with("model released")


@pytest.mark.parametrize(
    "parameters, reason",
    [
        ({"checkpoint": "missing"}, "no_such_model.pth"),
        ({"checkpoint": "corrupt"}, "corrupt.pth"),
        ({"checkpoint": "alexnet", "backbone": "resnet18"}, "not the requested backbone 'resnet18'"),
    ],
)
def test_bad_configuration_fails_with_a_reason_and_the_node_stays_usable(unconfigured, checkpoints,
                                                                          parameters, reason):
    h = unconfigured
    values = {k: (str(checkpoints[v]) if k == "checkpoint" else v) for k, v in parameters.items()}
    assert all(r.successful for r in h.set_parameters(**values))
    h.statuses.clear()
    assert not h.transition(CONFIGURE)
    assert h.state() == "unconfigured"
    status = h.status_with("configure failed")
    assert reason in status.message
    assert h.set_parameters(checkpoint=str(checkpoints["alexnet"]), backbone="", lost_patience=10)[0].successful
    assert h.transition(CONFIGURE) and h.state() == "inactive"


def test_cuda_without_a_gpu_falls_back_to_cpu_and_says_so(unconfigured):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: no fallback to observe")
    h = unconfigured
    assert h.set_parameters(device="cuda", accelerator="tensorrt")[0].successful
    assert h.transition(CONFIGURE)
    message = h.status_with("configured").message
    assert "CUDA is not available: running on cpu" in message
    # the accelerator asked for cannot run here either: eager PyTorch, and the status says why
    assert "accelerator 'tensorrt' unavailable (TensorRT needs a CUDA device" in message
    # the bundled box verifier, found beside the model, joins the confidence
    assert "box verifier in the confidence" in message


def test_exported_network_runs_in_the_node_and_bad_files_are_named(unconfigured, checkpoints, tmp_path):
    from node_test_support import scene

    from siamcar_ros.model import load_checkpoint
    from siamcar_ros.model.onnx_export import export_onnx

    h = unconfigured
    export_onnx(load_checkpoint(checkpoints["alexnet"]), tmp_path, "small")
    assert h.set_parameters(exported_network=str(tmp_path / "small"))[0].successful
    assert h.transition(CONFIGURE)
    assert "exported network" in h.status_with("configured").message
    assert "small_search.onnx (onnxruntime)" in h.status_with("configured").message
    assert h.transition(ACTIVATE)
    h.start_tracking(10_000_000_000)
    detection = h.publish_and_wait_detection(scene(1)[0], 10_000_000_000 + 33_000_000)
    assert detection.bbox.size_x > 0
    assert h.transition(DEACTIVATE) and h.transition(CLEANUP)
    # another prefix with no files: configured all the same, on the PyTorch network, and said so
    assert h.set_parameters(exported_network=str(tmp_path / "absent"))[0].successful
    assert h.transition(CONFIGURE)
    message = h.status_with("configured").message
    assert "exported network not used" in message and "absent_template.onnx" in message
    assert h.set_parameters(exported_network="")[0].successful is False   # configure-only
    h.transition(CLEANUP)
    assert h.set_parameters(exported_network="")[0].successful


def test_model_parameters_are_refused_while_configured_and_accepted_after_cleanup(unconfigured, checkpoints):
    h = unconfigured
    assert h.transition(CONFIGURE) and h.transition(ACTIVATE)
    for name, value in (("checkpoint", "/x.pth"), ("backbone", "resnet18"), ("device", "cpu"),
                        ("half", True), ("image_topic", "other"), ("rate_hz", 5.0)):
        result = h.set_parameters(**{name: value})[0]
        assert not result.successful and name in result.reason and "cleanup" in result.reason
    assert h.status_with("parameter change refused")
    assert h.set_parameters(lr=0.5)[0].successful  # live parameters still change
    assert h.transition(DEACTIVATE) and h.transition(CLEANUP)
    assert h.set_parameters(rate_hz=5.0)[0].successful
    assert h.set_parameters(rate_hz=30.0, lr=-1.0)[0].successful


def test_bad_value_from_the_parameter_file_fails_configure_until_fixed(checkpoints):
    h = NodeHarness(domain_id=61, parameters={"checkpoint": str(checkpoints["alexnet"]), "device": "cpu",
                                              "lost_patience": 0}, node_name="tracker_with_bad_params")
    try:
        assert not h.transition(CONFIGURE)
        assert "parameter 'lost_patience': must be >= 1" in h.status_with("configure failed").message
        # a subscriber that comes late still gets the reason (the status is transient local)
        late = []
        qos = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        h.client.create_subscription(TrackerStatus, f"{h.name}/status", late.append, qos)
        h.wait_until(lambda: any("configure failed" in s.message for s in late), "the late subscriber's status")
        assert h.set_parameters(lost_patience=4)[0].successful
        assert h.transition(CONFIGURE) and h.state() == "inactive"
    finally:
        h.close()


def test_parameter_types_are_checked_by_name_and_integers_accepted_for_floats(unconfigured):
    h = unconfigured
    wrong = h.set_parameters(lost_threshold="high")[0]
    assert not wrong.successful and "lost_threshold" in wrong.reason and "expected float" in wrong.reason
    assert h.set_parameters(rate_hz=15, lost_threshold=0)[0].successful
    assert h.transition(CONFIGURE)
    assert h.node.parameters.rate_hz == 15.0 and h.node.parameters.lost_threshold == 0.0
    assert h.transition(CLEANUP)
    assert h.set_parameters(rate_hz=30.0, lost_threshold=0.2)[0].successful


def test_shutdown_from_active_releases_the_model(checkpoints):
    h = NodeHarness(domain_id=61, parameters={"checkpoint": str(checkpoints["alexnet"]), "device": "cpu"},
                    node_name="tracker_to_shut_down")
    try:
        h.configure_and_activate()
        assert h.transition(Transition.TRANSITION_ACTIVE_SHUTDOWN)
        assert h.state() == "finalized" and h.node.tracker is None
    finally:
        h.close()


def test_compressed_images_with_reliable_qos_and_a_detection_array_after_reconfiguring(unconfigured):
    import cv2
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CompressedImage
    from vision_msgs.msg import Detection2DArray

    from node_test_support import init_message, scene, stamp_ns_of

    h = unconfigured
    assert h.set_parameters(image_type="compressed", qos_reliability="reliable", image_topic="image_jpeg",
                            publish_detection_array=True)[0].successful
    arrays = []
    h.client.create_subscription(Detection2DArray, f"{h.name}/detections", arrays.append, 10)
    try:
        h.configure_and_activate_for("image_jpeg")
        infos = h.client.get_subscriptions_info_by_topic("image_jpeg")
        assert [i.qos_profile.reliability for i in infos] == [ReliabilityPolicy.RELIABLE]
        publisher = h.client.create_publisher(CompressedImage, "image_jpeg", QoSProfile(depth=5))
        h.wait_until(lambda: publisher.get_subscription_count() > 0, "the compressed image subscription")
        stamps = [7 * 10**9, 7 * 10**9 + 33_000_000]
        for step, stamp in enumerate(stamps):
            msg = CompressedImage(format="jpeg", data=cv2.imencode(".jpg", scene(step)[0])[1].tobytes())
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 10**9)
            if step == 1:
                h.init_pub.publish(init_message(scene(0)[1], stamps[0]))
                h.status_with("tracking target")
            publisher.publish(msg)
            if step == 0:
                h.wait_until(lambda: h.has_frame(stamps[0]), "the first compressed frame")
        h.wait_until(lambda: any(stamp_ns_of(d) == stamps[1] for d in h.detections), "a detection")
        array = h.wait_until(lambda: next((a for a in arrays if stamp_ns_of(a) == stamps[1]), None),
                             "the detection array")
        assert len(array.detections) == 1 and array.detections[0].bbox.size_x > 0
    finally:
        h.transition(DEACTIVATE)
        h.transition(CLEANUP)
        assert h.set_parameters(image_type="raw", qos_reliability="best_effort", image_topic="image_raw",
                                publish_detection_array=False)[0].successful


def test_the_shutdown_transition_ends_the_executable(checkpoints):
    """The installed executable, in its own process: shutdown from active ends it, exit code 0."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    import rclpy
    from lifecycle_msgs.srv import ChangeState
    from rclpy.executors import SingleThreadedExecutor

    executable = shutil.which("siamcar_tracker")
    command = [executable] if executable else [sys.executable, "-m", "siamcar_ros.ros.node"]
    command += ["--autostart", "--ros-args", "-r", "__node:=tracker_process",
                "-p", f"checkpoint:={checkpoints['alexnet']}", "-p", "device:=cpu"]
    process = subprocess.Popen(command, env=dict(os.environ, ROS_DOMAIN_ID="60"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=60)
    client_node = rclpy.create_node("shutdown_client", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(client_node)
    try:
        client = client_node.create_client(ChangeState, "tracker_process/change_state")
        deadline = time.monotonic() + 60.0
        while not client.service_is_ready() and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        assert client.service_is_ready(), "the node process did not come up"
        future = client.call_async(ChangeState.Request(
            transition=Transition(id=Transition.TRANSITION_ACTIVE_SHUTDOWN)))
        while not future.done() and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        assert future.done() and future.result().success
        assert process.wait(timeout=15.0) == 0
    finally:
        if process.poll() is None:
            process.kill()
        executor.shutdown()
        client_node.destroy_node()
        rclpy.try_shutdown(context=context)


def test_parameter_descriptions_say_their_range_and_when_they_may_change(unconfigured):
    from rcl_interfaces.msg import ParameterType
    from rcl_interfaces.srv import DescribeParameters

    h = unconfigured
    client = h.client.create_client(DescribeParameters, f"{h.name}/describe_parameters")
    described = h.call(client, DescribeParameters.Request(names=["lost_threshold", "rate_hz"])).descriptors
    assert "0..1" in described[0].description and described[0].additional_constraints.startswith("live")
    assert described[0].type == ParameterType.PARAMETER_DOUBLE
    assert not h.set_parameters(lost_threshold="high")[0].successful
    after = h.call(client, DescribeParameters.Request(names=["lost_threshold"])).descriptors[0]
    assert after.type == ParameterType.PARAMETER_DOUBLE       # not the refused value's type
    assert "1000" in described[1].description
    assert described[1].additional_constraints.startswith("configure-only")


def test_every_parameter_descriptor_is_its_settings_text(unconfigured):
    from rcl_interfaces.srv import DescribeParameters

    from siamcar_ros.ros.params import NODE_SETTINGS, descriptor_fields

    h = unconfigured
    client = h.client.create_client(DescribeParameters, f"{h.name}/describe_parameters")
    names = [setting.name for setting in NODE_SETTINGS]
    described = h.call(client, DescribeParameters.Request(names=names)).descriptors
    assert [d.name for d in described] == names
    for setting, descriptor in zip(NODE_SETTINGS, described):
        expected = descriptor_fields(setting)
        assert descriptor.description == expected["description"], setting.name
        assert descriptor.additional_constraints == expected["additional_constraints"], setting.name


def test_int8_is_calibrated_by_the_node(unconfigured):
    h = unconfigured
    try:
        assert h.set_parameters(precision="int8", accelerator="auto", device="cpu")[0].successful
        assert h.transition(CONFIGURE), h.last_status_message()
        message = h.status_with("configured").message
        assert "int8" in message, message
    finally:
        if h.state() == "inactive":
            h.transition(CLEANUP)
        h.set_parameters(precision="fp32")
