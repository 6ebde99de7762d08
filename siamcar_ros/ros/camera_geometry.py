"""The target in the camera's terms: bearing from the calibration, depth from an aligned depth
image, and the 3-D point they give. No rclpy here: the functions read message fields by name
(``sensor_msgs/CameraInfo``: width, height, k, d, distortion_model, binning_x/y;
``sensor_msgs/Image``: encoding, width, height, step, is_bigendian, data), so they are tested
with plain objects too.

Frames follow REP 103's optical convention: x right, y down, z forward (out of the lens).
The bearing of a pixel is the unit ray through it after undistortion with K and D (OpenCV's
``undistortPoints``; ``cv2.fisheye`` for the ``equidistant`` model): azimuth = atan2(x, z),
positive to the right of the optical axis; elevation = atan2(-y, hypot(x, z)), positive up.
The depth of the target is the median of the valid pixels of the box's centre region
(``depth_region`` of its width and height): 16UC1 in millimetres (0 = no reading), 32FC1 in
metres (NaN, inf and 0 = no reading); the 3-D point is the ray scaled to that depth along z.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["CameraModel", "CameraModelError", "DepthError", "StampedCache", "TargetGeometry3D", "bearing",
           "camera_info_sibling", "camera_model", "target_depth"]

DISTORTION_MODELS = ("plumb_bob", "rational_polynomial", "equidistant", "")
DEPTH_ENCODINGS = ("16UC1", "32FC1")


class CameraModelError(ValueError):
    """A CameraInfo that cannot describe the image; the text says why."""


class DepthError(ValueError):
    """A depth image that cannot be read against the colour image; the text says why."""


@dataclass(frozen=True)
class CameraModel:
    """K (3 x 3), D, the distortion model and the image size it describes."""

    k: np.ndarray
    d: np.ndarray
    model: str
    size: tuple[int, int]       # (width, height) of the image it applies to


def camera_info_sibling(image_topic: str) -> str:
    """The camera_info topic beside an image topic: /camera/image_raw -> /camera/camera_info
    (a trailing /compressed is dropped first); a bare name gives the bare camera_info."""
    topic = image_topic[:-len("/compressed")] if image_topic.endswith("/compressed") else image_topic
    parent, _, _ = topic.rpartition("/")
    return f"{parent}/camera_info" if parent or topic.startswith("/") else "camera_info"


def camera_model(info, image_size: tuple[int, int]) -> CameraModel:
    """A CameraModel from a CameraInfo, checked against the (width, height) of the image it
    comes with (binning divides the calibrated size); raises CameraModelError."""
    width, height = int(info.width), int(info.height)
    bin_x, bin_y = max(1, int(info.binning_x)), max(1, int(info.binning_y))
    if (width // bin_x, height // bin_y) != tuple(image_size):
        return_size = f"{width // bin_x}x{height // bin_y}"
        raise CameraModelError(f"camera_info is for {return_size} images, the image is "
                               f"{image_size[0]}x{image_size[1]}")
    k = np.asarray(info.k, dtype=np.float64).reshape(3, 3)
    if not np.all(np.isfinite(k)) or k[0, 0] <= 0 or k[1, 1] <= 0 or k[2, 2] == 0:
        raise CameraModelError("camera_info has no calibration (K's focal lengths must be positive)")
    scale = np.diag([1.0 / bin_x, 1.0 / bin_y, 1.0])
    k = scale @ k
    model = str(info.distortion_model)
    if model not in DISTORTION_MODELS:
        raise CameraModelError(f"distortion model {model!r} is not supported (allowed: plumb_bob, "
                               "rational_polynomial, equidistant)")
    d = np.asarray(info.d, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise CameraModelError("camera_info's distortion coefficients D are not finite")
    if model == "equidistant" and d.size != 4:
        raise CameraModelError(f"the equidistant model takes 4 coefficients in D, got {d.size}")
    return CameraModel(k, d, model or "plumb_bob", tuple(int(v) for v in image_size))


def normalised_point(model: CameraModel, pixel: tuple[float, float]) -> tuple[float, float]:
    """The undistorted point on the z = 1 plane for a pixel."""
    points = np.array([[pixel]], dtype=np.float64)
    if model.model == "equidistant":
        out = cv2.fisheye.undistortPoints(points, model.k, model.d.reshape(4, 1))
    else:
        out = cv2.undistortPoints(points, model.k, model.d if model.d.size else None)
    return float(out[0, 0, 0]), float(out[0, 0, 1])


def bearing(model: CameraModel, pixel: tuple[float, float]) -> tuple[np.ndarray, float, float]:
    """(unit ray, azimuth, elevation) of a pixel, radians, in the optical frame."""
    x, y = normalised_point(model, pixel)
    ray = np.array([x, y, 1.0])
    ray /= np.linalg.norm(ray)
    return ray, math.atan2(x, 1.0), math.atan2(-y, math.hypot(x, 1.0))


def depth_array(msg) -> np.ndarray:
    """The depth image in metres (float32, NaN where there is no reading); raises DepthError."""
    encoding = str(msg.encoding)
    if encoding not in DEPTH_ENCODINGS:
        raise DepthError(f"depth encoding {encoding!r} is not supported (allowed: 16UC1 in mm, 32FC1 in m)")
    width, height, step = int(msg.width), int(msg.height), int(msg.step)
    itemsize = 2 if encoding == "16UC1" else 4
    data = bytes(msg.data)
    if width <= 0 or height <= 0 or step < width * itemsize or len(data) < step * height:
        raise DepthError(f"depth image {width}x{height} with step {step} holds {len(data)} bytes, "
                         f"too few for its size")
    order = ">" if msg.is_bigendian else "<"
    dtype = np.dtype(f"{order}u2" if itemsize == 2 else f"{order}f4")
    rows = np.frombuffer(data, np.uint8, count=step * height).reshape(height, step)[:, :width * itemsize]
    values = rows.copy().view(dtype).reshape(height, width).astype(np.float32)
    if encoding == "16UC1":
        values = np.where(values > 0, values / 1000.0, np.nan).astype(np.float32)
    else:
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan).astype(np.float32)
    return values


def target_depth(depth: np.ndarray, bbox, region: float) -> float:
    """Median depth (m) of the valid pixels in the centre ``region`` of the box (x, y, w, h),
    NaN when none is valid."""
    x, y, w, h = (float(v) for v in bbox)
    cx, cy = x + w / 2.0, y + h / 2.0
    half_w, half_h = max(w * region / 2.0, 0.5), max(h * region / 2.0, 0.5)
    height, width = depth.shape
    x0, x1 = max(0, int(math.floor(cx - half_w))), min(width, int(math.ceil(cx + half_w)))
    y0, y1 = max(0, int(math.floor(cy - half_h))), min(height, int(math.ceil(cy + half_h)))
    patch = depth[y0:y1, x0:x1]
    valid = patch[np.isfinite(patch)]
    return float(np.median(valid)) if valid.size else math.nan


@dataclass(frozen=True)
class TargetGeometry3D:
    """What the camera outputs say about the target on one frame (None: not known)."""

    ray: np.ndarray | None = None
    azimuth: float | None = None
    elevation: float | None = None
    depth_m: float | None = None
    point: np.ndarray | None = None     # metres in the optical frame
    size_m: tuple[float, float] | None = None   # the box's width and height at that depth


def target_geometry(model: CameraModel | None, depth: np.ndarray | None, bbox, region: float) -> TargetGeometry3D:
    """Bearing (with ``model``), depth (with ``depth``) and the 3-D point (with both)."""
    x, y, w, h = (float(v) for v in bbox)
    ray = azimuth = elevation = depth_m = point = size = None
    if model is not None:
        ray, azimuth, elevation = bearing(model, (x + w / 2.0, y + h / 2.0))
    if depth is not None:
        value = target_depth(depth, bbox, region)
        depth_m = None if math.isnan(value) else value
    if ray is not None and depth_m is not None:
        point = ray / ray[2] * depth_m
        size = (w * depth_m / model.k[0, 0], h * depth_m / model.k[1, 1])
    return TargetGeometry3D(ray, azimuth, elevation, depth_m, point, size)


class StampedCache:
    """The last few messages by stamp (ns); ``nearest`` finds the one closest to a stamp within
    a tolerance."""

    def __init__(self, length: int = 10):
        self._items: deque[tuple[int, object]] = deque(maxlen=length)

    def add(self, stamp_ns: int, item) -> None:
        self._items.append((int(stamp_ns), item))

    def nearest(self, stamp_ns: int, tolerance_ns: int):
        best = min(self._items, key=lambda pair: abs(pair[0] - stamp_ns), default=None)
        return best[1] if best is not None and abs(best[0] - stamp_ns) <= tolerance_ns else None

    def newest(self):
        return self._items[-1][1] if self._items else None

    def clear(self) -> None:
        self._items.clear()
