"""Over DDS: the node's follow-me outputs in the camera's terms. With CameraInfo the status has
the target's bearing and ~/target_ray its unit ray; with an aligned depth image too the status
has its depth, ~/target_point and ~/detection_3d its 3-D position. Without them the node tracks
as before and says once why; a CameraInfo or depth image that does not fit is refused with the
reason and tracking goes on."""
import math

import numpy as np
import pytest

from node_test_support import HEIGHT, WIDTH, NodeHarness, scene, stamp_ns_of

pytestmark = pytest.mark.ros

FRAME_NS = 33_333_333
FX, FY, CX, CY = 300.0, 310.0, WIDTH / 2, HEIGHT / 2


def depth_mm_at(u: float) -> float:
    """The synthetic depth image: farther to the right, 10 mm a column from 1 m."""
    return 1000.0 + 10.0 * u


@pytest.fixture(scope="module")
def harness(small_alexnet_checkpoint):
    from geometry_msgs.msg import PointStamped, Vector3Stamped
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    from vision_msgs.msg import Detection3D

    harness = NodeHarness(domain_id=67, parameters={"checkpoint": str(small_alexnet_checkpoint), "device": "cpu",
                                                    "rate_hz": 100.0, "depth_topic": "depth/image_raw"})
    harness.configure_and_activate()
    client = harness.client
    reliable = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
    harness.info_pub = client.create_publisher(CameraInfo, "camera_info", reliable)
    harness.depth_pub = client.create_publisher(Image, "depth/image_raw", reliable)
    harness.rays, harness.points, harness.detections_3d = [], [], []
    client.create_subscription(Vector3Stamped, f"{harness.name}/target_ray", harness.rays.append, 100)
    client.create_subscription(PointStamped, f"{harness.name}/target_point", harness.points.append, 100)
    client.create_subscription(Detection3D, f"{harness.name}/detection_3d", harness.detections_3d.append, 100)
    harness.wait_until(lambda: harness.info_pub.get_subscription_count() > 0
                       and harness.depth_pub.get_subscription_count() > 0, "the camera_info and depth subscriptions")
    yield harness
    harness.close()


def camera_info(stamp_ns: int, width: int = WIDTH, height: int = HEIGHT):
    from sensor_msgs.msg import CameraInfo

    msg = CameraInfo()
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
    msg.header.frame_id = "camera"
    msg.width, msg.height = width, height
    msg.distortion_model, msg.d = "plumb_bob", [0.0] * 5
    msg.k = [FX, 0.0, CX, 0.0, FY, CY, 0.0, 0.0, 1.0]
    return msg


def depth_image(stamp_ns: int, box, width: int = WIDTH, height: int = HEIGHT, encoding: str = "16UC1"):
    from sensor_msgs.msg import Image

    columns = depth_mm_at(np.arange(width) + 0.0)
    values = np.repeat(columns[None], height, axis=0).astype(np.uint16)
    x, y, w, h = (int(v) for v in box)
    values[y + h // 2 - 2:y + h // 2 + 2, :] = 0     # rows of missing readings through the target
    values[:, ::7] = 0                               # and columns
    msg = Image(encoding=encoding, width=width, height=height, step=width * 2, data=values.tobytes())
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 10**9)
    msg.header.frame_id = "camera"
    return msg


def start(harness, start_ns: int) -> None:
    harness.start_tracking(start_ns)


def step(harness, index: int, start_ns: int, info=True, depth=True):
    """Frame ``index`` of the scene with its CameraInfo and depth image (sent first; False: none,
    a dict: what to change in it); returns the status of that frame."""
    frame, box = scene(index)
    stamp = start_ns + index * FRAME_NS
    camera = harness.node.pipeline.camera
    if info:
        harness.info_pub.publish(camera_info(stamp, **(info if isinstance(info, dict) else {})))
        harness.wait_until(lambda: camera.infos.nearest(stamp, 0) is not None, "the node to hold the CameraInfo")
    if depth:
        harness.depth_pub.publish(depth_image(stamp, box, **(depth if isinstance(depth, dict) else {})))
        harness.wait_until(lambda: camera.depths.nearest(stamp, 0) is not None, "the node to hold the depth image")
    harness.publish_frame(frame, stamp)
    # the frame's own status (it carries the latency; a refusal's status on the way does not)
    return harness.wait_until(lambda: next((s for s in harness.statuses if stamp_ns_of(s) == stamp
                                            and s.latency_ms > 0 and s.state == 1), None),
                              f"the status of the frame stamped {stamp}")


def test_without_camera_info_the_node_tracks_and_says_once_why(harness):
    start_ns = 10 * 10**9
    start(harness, start_ns)
    for index in range(1, 5):
        status = step(harness, index, start_ns, info=False, depth=False)
        assert not status.has_bearing and not status.has_depth
    said = [s for s in harness.statuses if s.message.startswith("no CameraInfo received on 'camera_info'")]
    assert len(said) == 1
    assert not harness.rays and not harness.points


def test_bearing_depth_and_the_3d_point_follow_the_target(harness):
    start_ns = 20 * 10**9
    start(harness, start_ns)
    for index in range(1, 6):
        status = step(harness, index, start_ns)
        assert status.has_bearing and status.has_depth, status.message
        u = status.bbox_x + status.bbox_width / 2
        v = status.bbox_y + status.bbox_height / 2
        assert status.bearing_azimuth == pytest.approx(math.atan((u - CX) / FX), abs=1e-4)
        assert status.bearing_elevation == pytest.approx(math.atan2(-(v - CY) / FY, math.hypot((u - CX) / FX, 1)),
                                                         abs=1e-4)
        assert status.target_depth_m == pytest.approx(depth_mm_at(u - 0.5) / 1000.0, abs=0.03)
    stamp = start_ns + 5 * FRAME_NS
    ray = harness.wait_until(lambda: next((r for r in harness.rays if stamp_ns_of(r) == stamp), None), "a ray")
    point = harness.wait_until(lambda: next((p for p in harness.points if stamp_ns_of(p) == stamp), None), "a point")
    detection = harness.wait_until(lambda: next((d for d in harness.detections_3d if stamp_ns_of(d) == stamp), None),
                                   "a Detection3D")
    vector = np.array([ray.vector.x, ray.vector.y, ray.vector.z])
    assert np.linalg.norm(vector) == pytest.approx(1.0) and ray.header.frame_id == "camera"
    z = status.target_depth_m
    assert point.point.z == pytest.approx(z, abs=0.01)
    assert point.point.x == pytest.approx(vector[0] / vector[2] * z, abs=1e-3)
    assert detection.bbox.center.position.z == pytest.approx(z, abs=0.01)
    assert detection.results and detection.results[0].hypothesis.class_id == "target"
    assert detection.bbox.size.x == pytest.approx(status.bbox_width * z / FX, rel=0.05)


def test_a_camera_info_of_another_size_is_refused_and_tracking_goes_on(harness):
    start_ns = 30 * 10**9
    start(harness, start_ns)
    status = step(harness, 1, start_ns, info={"width": 640, "height": 480})
    refused = harness.status_with("camera_info refused: camera_info is for 640x480 images, the image is 320x240")
    assert refused.state == 1
    assert status.has_depth                  # the depth still comes through
    status = step(harness, 2, start_ns)      # a fitting one again: the bearing is back
    assert status.has_bearing


@pytest.mark.parametrize("depth, words", [
    ({"width": 160, "height": 120}, "depth image is 160x120, the colour image 320x240"),
    ({"encoding": "8UC1"}, "depth encoding '8UC1' is not supported")])
def test_a_depth_image_that_does_not_fit_is_refused_and_tracking_goes_on(harness, depth, words):
    start_ns = (40 if "width" in depth else 50) * 10**9
    start(harness, start_ns)
    status = step(harness, 1, start_ns, depth=depth)
    assert not status.has_depth and status.has_bearing
    assert harness.status_with(words).state == 1
    assert harness.node.session.state == 1
