"""camera_geometry: bearings undistorted with K and D, robust depth, the camera_info sibling,
and the refusals of a CameraInfo or a depth image that does not fit."""
import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from siamcar_ros.ros.camera_geometry import (CameraModelError, DepthError, StampedCache, bearing,
                                             camera_info_sibling, camera_model, depth_array, target_depth,
                                             target_geometry)

K = [400.0, 0.0, 320.0, 0.0, 410.0, 240.0, 0.0, 0.0, 1.0]


def info(width=640, height=480, k=K, d=(0.0,) * 5, model="plumb_bob", binning=(0, 0)):
    return SimpleNamespace(width=width, height=height, k=list(k), d=list(d), distortion_model=model,
                           binning_x=binning[0], binning_y=binning[1])


def depth_message(values: np.ndarray, encoding: str, pad: int = 0):
    itemsize = values.dtype.itemsize
    rows = np.zeros((values.shape[0], values.shape[1] * itemsize + pad), np.uint8)
    rows[:, :values.shape[1] * itemsize] = values.view(np.uint8).reshape(values.shape[0], -1)
    return SimpleNamespace(encoding=encoding, width=values.shape[1], height=values.shape[0],
                           step=rows.shape[1], is_bigendian=0, data=rows.tobytes())


@pytest.mark.parametrize("image_topic, expected", [
    ("/camera/image_raw", "/camera/camera_info"), ("/camera/color/image_raw/compressed", "/camera/color/camera_info"),
    ("image_raw", "camera_info"), ("front/image_rect", "front/camera_info"), ("/image", "/camera_info")])
def test_camera_info_is_the_image_topics_sibling(image_topic, expected):
    assert camera_info_sibling(image_topic) == expected


def test_the_principal_point_is_straight_ahead_and_offsets_follow_the_focal_length():
    model = camera_model(info(), (640, 480))
    ray, azimuth, elevation = bearing(model, (320.0, 240.0))
    assert np.allclose(ray, [0, 0, 1]) and azimuth == pytest.approx(0) and elevation == pytest.approx(0)
    ray, azimuth, elevation = bearing(model, (720.0, 240.0 - 410.0))
    assert azimuth == pytest.approx(math.atan(1.0))          # 400 px right at fx = 400: 45 degrees right
    assert elevation == pytest.approx(math.atan2(1.0, math.sqrt(2.0)))   # above: positive
    assert np.linalg.norm(ray) == pytest.approx(1.0)


def test_distortion_is_undone_with_d():
    d = (-0.3, 0.1, 0.001, -0.002, 0.0)
    model = camera_model(info(d=d), (640, 480))
    truth = np.array([0.4, -0.25, 1.0])
    pixel, _ = cv2.projectPoints(truth[None], np.zeros(3), np.zeros(3), np.array(K).reshape(3, 3), np.array(d))
    ray, azimuth, _ = bearing(model, tuple(pixel[0, 0]))
    assert np.allclose(ray, truth / np.linalg.norm(truth), atol=1e-4)
    assert azimuth == pytest.approx(math.atan(0.4), abs=1e-4)


def test_the_equidistant_model_uses_the_fisheye_functions():
    d = (0.05, -0.01, 0.002, 0.0)
    model = camera_model(info(d=d, model="equidistant"), (640, 480))
    truth = np.array([[[0.6, 0.3, 1.0]]])
    pixel, _ = cv2.fisheye.projectPoints(truth, np.zeros(3), np.zeros(3), np.array(K).reshape(3, 3),
                                         np.array(d).reshape(4, 1))
    ray, _, _ = bearing(model, tuple(pixel[0, 0]))
    assert np.allclose(ray, truth[0, 0] / np.linalg.norm(truth[0, 0]), atol=1e-4)


def test_binning_divides_the_calibrated_size():
    model = camera_model(info(binning=(2, 2)), (320, 240))
    assert model.k[0, 0] == pytest.approx(200.0) and model.k[0, 2] == pytest.approx(160.0)


@pytest.mark.parametrize("kwargs, words", [
    ({"width": 1280, "height": 720}, "is for 1280x720 images, the image is 640x480"),
    ({"k": [0.0] * 9}, "no calibration"),
    ({"model": "kannala"}, "'kannala' is not supported"),
    ({"d": (float("nan"),) * 5}, "not finite"),
    ({"model": "equidistant", "d": (0.1,) * 5}, "takes 4 coefficients")])
def test_a_camera_info_that_does_not_fit_is_refused_with_the_reason(kwargs, words):
    with pytest.raises(CameraModelError, match=words):
        camera_model(info(**kwargs), (640, 480))


def test_depth_in_millimetres_and_metres_skips_invalid_pixels():
    values = np.full((48, 64), 5000, np.uint16)
    values[10:30, 20:40] = 2000
    values[15:20, 25:30] = 0                        # no reading: skipped
    metres = depth_array(depth_message(values, "16UC1", pad=6))
    assert np.isnan(metres[16, 26]) and metres[12, 22] == pytest.approx(2.0)
    assert target_depth(metres, (20, 10, 20, 20), 0.5) == pytest.approx(2.0)
    floats = np.where(values > 0, values / 1000.0, np.nan).astype(np.float32)
    floats[11, 21] = np.inf
    assert target_depth(depth_array(depth_message(floats, "32FC1")), (20, 10, 20, 20), 1.0) == pytest.approx(2.0)
    assert math.isnan(target_depth(np.full((48, 64), np.nan, np.float32), (20, 10, 20, 20), 0.5))


@pytest.mark.parametrize("encoding, words", [("8UC1", "'8UC1' is not supported"), ("mono16", "not supported")])
def test_a_depth_image_of_another_encoding_is_refused(encoding, words):
    with pytest.raises(DepthError, match=words):
        depth_array(depth_message(np.zeros((4, 4), np.uint16), encoding))


def test_a_truncated_depth_image_is_refused():
    message = depth_message(np.zeros((4, 4), np.uint16), "16UC1")
    message.data = message.data[:10]
    with pytest.raises(DepthError, match="too few"):
        depth_array(message)


def test_the_point_is_the_ray_scaled_to_the_depth():
    model = camera_model(info(), (640, 480))
    depth = np.full((480, 640), 3.0, np.float32)
    geometry = target_geometry(model, depth, (500, 100, 40, 80), 0.5)
    u, v = 520.0, 140.0
    assert geometry.depth_m == pytest.approx(3.0)
    assert np.allclose(geometry.point, [(u - 320) / 400 * 3, (v - 240) / 410 * 3, 3.0])
    assert geometry.size_m == pytest.approx((40 * 3 / 400, 80 * 3 / 410))
    no_depth = target_geometry(model, None, (500, 100, 40, 80), 0.5)
    assert no_depth.point is None and no_depth.azimuth is not None


def test_the_stamped_cache_matches_within_the_tolerance():
    cache = StampedCache(3)
    for stamp in (100, 200, 300, 400):
        cache.add(stamp, f"m{stamp}")
    assert cache.nearest(210, 20) == "m200" and cache.nearest(250, 20) is None
    assert cache.nearest(100, 50) is None          # dropped: only the last three kept
    assert cache.newest() == "m400"
