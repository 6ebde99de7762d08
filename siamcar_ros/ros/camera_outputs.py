"""The follow-me outputs in the camera's terms, for one configured model: CameraInfo and depth
images in (kept by stamp), and per tracked frame the target's bearing (``~/target_ray``,
geometry_msgs/Vector3Stamped, a unit ray in the image's frame), its depth and 3-D point
(``~/target_point``, geometry_msgs/PointStamped; ``~/detection_3d``, vision_msgs/Detection3D)
and the figures ~/status carries. The math is in ``camera_geometry``.

Matching: a frame takes the CameraInfo stamped nearest it within ``sync_tolerance_ms``, else
the newest one received (a calibration does not change from frame to frame); the depth image
must be stamped within ``sync_tolerance_ms`` of the frame. A CameraInfo that does not fit the
image, or a depth image of another size or encoding, is refused with the reason on ~/status;
tracking and every other output go on as they were. Without CameraInfo or without a depth
topic the outputs that need them are not published, and the node says so once.
"""
from __future__ import annotations

from geometry_msgs.msg import PointStamped, Vector3Stamped
from vision_msgs.msg import Detection3D, ObjectHypothesisWithPose

from siamcar_ros.ros.camera_geometry import (CameraModelError, DepthError, StampedCache, TargetGeometry3D,
                                             camera_info_sibling, camera_model, depth_array, target_geometry)
from siamcar_ros.ros.frame_buffer import stamp_to_ns
from siamcar_ros.tracking.session import SessionResult, TrackState

_NOTHING = TargetGeometry3D()


class CameraOutputs:
    """CameraInfo and depth in, ray, point and Detection3D out; ``report(message, header,
    level, throttle)`` is the node's way to say something (StatusReporter.report)."""

    def __init__(self, node, params, report):
        self._node, self._params, self._report = node, params, report
        self.camera_info_topic = params.camera_info_topic or camera_info_sibling(params.image_topic)
        self.depth_topic = params.depth_topic
        self.infos, self.depths = StampedCache(), StampedCache()   # the last ones received, by stamp
        self._said: set[str] = set()
        self.ray_pub = node.create_lifecycle_publisher(Vector3Stamped, "~/target_ray", 10)
        self.point_pub = node.create_lifecycle_publisher(PointStamped, "~/target_point", 10)
        self.detection_3d_pub = node.create_lifecycle_publisher(Detection3D, "~/detection_3d", 10)

    @property
    def publishers(self) -> tuple:
        return self.ray_pub, self.point_pub, self.detection_3d_pub

    def on_camera_info(self, msg) -> None:
        self.infos.add(stamp_to_ns(msg.header.stamp), msg)

    def on_depth(self, msg) -> None:
        self.depths.add(stamp_to_ns(msg.header.stamp), msg)

    def clear(self) -> None:
        self.infos.clear()
        self.depths.clear()

    # ------------------------------------------------------------------------- one frame
    def publish(self, header, image_size: tuple[int, int], target: SessionResult, track_id: int,
                class_id: str) -> TargetGeometry3D:
        """The outputs for one processed frame (nothing while IDLE); returns what they said."""
        if target.bbox is None or target.state == TrackState.IDLE:
            return _NOTHING
        tolerance_ns = int(self._params.sync_tolerance_ms * 1e6)
        stamp_ns = stamp_to_ns(header.stamp)
        model = self._model(header, image_size, stamp_ns, tolerance_ns)
        depth = self._depth(header, image_size, stamp_ns, tolerance_ns)
        geometry = target_geometry(model, depth, target.bbox, self._params.depth_region)
        if geometry.ray is not None:
            ray = Vector3Stamped(header=header)
            ray.vector.x, ray.vector.y, ray.vector.z = (float(v) for v in geometry.ray)
            self.ray_pub.publish(ray)
        if geometry.point is not None:
            point = PointStamped(header=header)
            point.point.x, point.point.y, point.point.z = (float(v) for v in geometry.point)
            self.point_pub.publish(point)
            self.detection_3d_pub.publish(_detection_3d(header, geometry, target, track_id, class_id))
        return geometry

    def _model(self, header, image_size, stamp_ns: int, tolerance_ns: int):
        info = self.infos.nearest(stamp_ns, tolerance_ns) or self.infos.newest()
        if info is None:
            self._say_once("no camera_info", f"no CameraInfo received on '{self.camera_info_topic}': the bearing, "
                           "~/target_ray, ~/target_point and ~/detection_3d wait for one")
            return None
        try:
            return camera_model(info, image_size)
        except CameraModelError as error:
            self._report(f"camera_info refused: {error}; no bearing or 3-D outputs for this frame", header,
                         "warning", True)
            return None

    def _depth(self, header, image_size, stamp_ns: int, tolerance_ns: int):
        if not self.depth_topic:
            self._say_once("no depth topic", "depth_topic is empty: no depth, ~/target_point or ~/detection_3d")
            return None
        msg = self.depths.nearest(stamp_ns, tolerance_ns)
        if msg is None:
            self._report(f"no depth image on '{self.depth_topic}' within {self._params.sync_tolerance_ms:g} ms "
                         "of the frame: no depth for it", header, "warning", True)
            return None
        try:
            if (int(msg.width), int(msg.height)) != tuple(image_size):
                raise DepthError(f"depth image is {msg.width}x{msg.height}, the colour image "
                                 f"{image_size[0]}x{image_size[1]}: it must be aligned to the colour image")
            return depth_array(msg)
        except DepthError as error:
            self._report(f"depth image refused: {error}", header, "warning", True)
            return None

    def _say_once(self, key: str, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self._report(message, None, "info", False)


def _detection_3d(header, geometry: TargetGeometry3D, target: SessionResult, track_id: int,
                  class_id: str) -> Detection3D:
    """The target as a Detection3D: its point, and the box's width and height at its depth (the
    extent along the ray is unknown: 0); one hypothesis only while TRACKING, as ~/detection."""
    detection = Detection3D(header=header, id=str(track_id))
    position = detection.bbox.center.position
    position.x, position.y, position.z = (float(v) for v in geometry.point)
    detection.bbox.center.orientation.w = 1.0
    detection.bbox.size.x, detection.bbox.size.y = (float(v) for v in geometry.size_m)
    if target.state == TrackState.TRACKING:
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id, hypothesis.hypothesis.score = class_id, float(target.confidence)
        hypothesis.pose.pose.position = position
        hypothesis.pose.pose.orientation.w = 1.0
        detection.results.append(hypothesis)
    return detection
