"""The camera's own motion between frames (tracking/camera_motion.py): the shift of the whole
picture, measured on a grey copy 160 px wide, kept only when the measurement is clear."""
import cv2
import numpy as np
import pytest

from siamcar_ros.tracking.camera_motion import CameraMotion


@pytest.fixture
def picture():
    rng = np.random.default_rng(0)
    return cv2.GaussianBlur(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8), (9, 9), 0)


def view(picture, x, y, size=(480, 640)):
    return np.ascontiguousarray(picture[y:y + size[0], x:x + size[1]])


@pytest.mark.parametrize("dx, dy", [(12, -7), (-30, 18), (3, 0)])
def test_a_moved_view_is_measured_as_the_pictures_shift(picture, dx, dy):
    camera = CameraMotion()
    assert not camera.shift(view(picture, 60, 60)).any()          # the first frame: nothing to compare
    # the view moving right by dx shows the picture moving left by dx
    assert camera.shift(view(picture, 60 + dx, 60 + dy)) == pytest.approx((-dx, -dy), abs=1.0)
    assert camera.response > 0.3


def test_a_still_view_with_an_object_moving_in_it_is_no_camera_motion(picture):
    camera = CameraMotion()
    frame = view(picture, 60, 60)
    camera.shift(frame)
    moved = frame.copy()
    moved[200:280, 300:360] = frame[200:280, 270:330]               # something walks 30 px
    assert not camera.shift(moved).any()


def test_a_blank_view_or_a_new_size_is_no_measurement(picture):
    camera = CameraMotion()
    blank = np.full((480, 640, 3), 90, np.uint8)
    camera.shift(blank)
    assert not camera.shift(blank.copy()).any()
    camera.shift(view(picture, 0, 0))
    assert not camera.shift(view(picture, 10, 0, size=(360, 480))).any()   # another stream's size
    camera.reset()
    assert not camera.shift(view(picture, 0, 0)).any()
