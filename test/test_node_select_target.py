"""select_target: refuses clearly without a display or GUI-capable OpenCV; builds init boxes
stamped with the frame they were drawn on."""

import os
import subprocess
import sys

import pytest

from siamcar_ros.ros.select_target import DisplayUnavailable, check_display, detection_for_box


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is a Linux/X11 notion")
def test_no_display_is_refused_with_what_to_do():
    with pytest.raises(DisplayUnavailable, match="DISPLAY .* is not set.*detector"):
        check_display(environ={})


def test_headless_opencv_is_refused_naming_the_package():
    import cv2

    try:
        cv2.namedWindow("probe")
        cv2.destroyAllWindows()
        pytest.skip("this OpenCV build can open windows")
    except cv2.error:
        pass
    with pytest.raises(DisplayUnavailable, match="opencv-python"):
        check_display(environ={"DISPLAY": ":99"})


def test_command_exits_with_a_message_when_it_cannot_show_a_window():
    pytest.importorskip("rclpy")
    pytest.importorskip("vision_msgs.msg")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "siamcar_ros.ros.select_target"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "needs a display" in result.stderr


def test_box_becomes_a_detection_stamped_with_its_frame():
    pytest.importorskip("vision_msgs.msg")
    from std_msgs.msg import Header

    header = Header(frame_id="camera")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    detection = detection_for_box((10, 20, 30, 40), header)
    assert (detection.header.stamp.sec, detection.header.stamp.nanosec) == (12, 345)
    assert (detection.bbox.center.position.x, detection.bbox.center.position.y) == (25.0, 40.0)
    assert (detection.bbox.size_x, detection.bbox.size_y) == (30.0, 40.0)
