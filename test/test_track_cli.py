"""siamcar-track on a generated image folder and a generated video file."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from siamcar_ros.deploy.track import main, parse_box

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # test/conftest.py

FRAMES = 6
INIT = "30,20,24,18"


def moving_square_frames():
    rng = np.random.default_rng(5)
    for step in range(FRAMES):
        frame = rng.integers(0, 80, (72, 96, 3), dtype=np.uint8)
        frame[20 + step: 38 + step, 30 + 2 * step: 54 + 2 * step] = (40, 200, 240)
        yield frame


@pytest.fixture(scope="module")
def checkpoint(small_alexnet_checkpoint):
    """The shared small checkpoint (test/conftest.py), as the command line takes it."""
    return str(small_alexnet_checkpoint)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    for index, frame in enumerate(moving_square_frames(), start=1):
        cv2.imwrite(str(folder / f"{index}.png"), frame)  # 1..6: natural order, not 1, 10, 2
    return folder


@pytest.fixture(scope="module")
def video_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (96, 72))
    for frame in moving_square_frames():
        writer.write(frame)
    writer.release()
    return path


def read_boxes(path):
    return [tuple(float(v) for v in line.split(",")) for line in path.read_text().splitlines()]


def test_folder_gives_one_box_per_frame_starting_with_the_init_box(image_folder, checkpoint, tmp_path, capsys):
    output = tmp_path / "results.txt"
    code = main([str(image_folder), "--init", INIT, "--checkpoint", checkpoint, "--device", "cpu",
                 "--output", str(output), "--quiet"])
    assert code == 0
    boxes = read_boxes(output)
    assert len(boxes) == FRAMES and boxes[0] == (30.0, 20.0, 24.0, 18.0)
    assert all(len(box) == 4 and box[2] > 0 and box[3] > 0 for box in boxes)
    assert "frames/s" in capsys.readouterr().out


def test_video_with_reference_strategy_and_overlay_video(video_file, checkpoint, tmp_path):
    output, overlay = tmp_path / "boxes.txt", tmp_path / "overlay.mp4"
    code = main([str(video_file), "--init", INIT, "--checkpoint", checkpoint, "--device", "cpu",
                 "--strategy", "reference", "--preset", "OTB100", "--output", str(output),
                 "--video-out", str(overlay), "--quiet"])
    assert code == 0
    assert len(read_boxes(output)) == FRAMES
    capture = cv2.VideoCapture(str(overlay))
    written = 0
    while capture.read()[0]:
        written += 1
    assert written == FRAMES


def test_max_frames_stops_early(image_folder, checkpoint, tmp_path):
    output = tmp_path / "results.txt"
    assert main([str(image_folder), "--init", INIT, "--checkpoint", checkpoint, "--device", "cpu",
                 "--output", str(output), "--max-frames", "3", "--quiet"]) == 0
    assert len(read_boxes(output)) == 3


def test_without_init_and_without_a_display_the_error_says_to_pass_init(image_folder, checkpoint,
                                                                        monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main([str(image_folder), "--checkpoint", checkpoint, "--quiet"]) == 1
    assert "pass --init x,y,w,h" in capsys.readouterr().err


@pytest.mark.parametrize("source, message", [
    ("/no/such/clip.mp4", "neither a video file, an image folder nor a camera index"),
    ("97", "camera 97 could not be opened"),
])
def test_unusable_sources_are_named(source, message, checkpoint, capsys):
    assert main([source, "--init", INIT, "--checkpoint", checkpoint, "--quiet"]) == 1
    assert message in capsys.readouterr().err


def test_missing_checkpoint_is_reported(image_folder, tmp_path, capsys):
    assert main([str(image_folder), "--init", INIT, "--checkpoint", str(tmp_path / "x.pth"), "--quiet"]) == 1
    assert "x.pth does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["1,2,3", "1,2,0,4", "a,b,c,d"])
def test_bad_init_boxes_are_refused(text):
    with pytest.raises(Exception, match="x,y,w,h"):
        parse_box(text)


def test_command_help_lists_the_options():
    done = subprocess.run([sys.executable, "-m", "siamcar_ros.deploy.track", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--video-out" in done.stdout
