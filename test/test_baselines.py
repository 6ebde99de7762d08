"""OpenCV CSRT, KCF and NanoTrack behind the SiamCARTracker interface."""
import numpy as np
import pytest

from siamcar_ros.evaluation.baselines import NANOTRACK_ENV, OpenCVTracker
from siamcar_ros.evaluation.metrics import iou
from siamcar_ros.data.procedural import generate_sequence


@pytest.fixture(scope="module")
def easy_sequence():
    # a slowly moving target, no nuisance attributes
    sequence = generate_sequence(21, length=12, size=(160, 200), attributes=[])
    return sequence, list(sequence.frames)


@pytest.mark.parametrize("kind", ["csrt", "kcf"])
def test_baseline_follows_a_slow_target(kind, easy_sequence):
    sequence, frames = easy_sequence
    tracker = OpenCVTracker(kind)
    tracker.init(frames[0], sequence.ground_truth[0])
    boxes = [sequence.ground_truth[0]]
    for frame in frames[1:]:
        result = tracker.track(frame)
        assert len(result.bbox) == 4 and 0.0 <= result.confidence <= 1.0
        boxes.append(result.bbox)
    assert np.mean(iou(np.array(boxes), sequence.ground_truth)) > 0.5


def test_unknown_baseline_and_bad_inputs_are_rejected(easy_sequence):
    _, frames = easy_sequence
    with pytest.raises(ValueError, match="unknown OpenCV baseline 'mosse'"):
        OpenCVTracker("mosse")
    tracker = OpenCVTracker("kcf")
    with pytest.raises(RuntimeError, match="call init"):
        tracker.track(frames[0])
    with pytest.raises(ValueError, match="w, h > 0"):
        tracker.init(frames[0], (10, 10, 0, 5))
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        tracker.init(frames[0][..., 0], (10, 10, 20, 20))


def test_nanotrack_runs_from_its_two_onnx_files_and_reports_its_score(nanotrack_onnx,
                                                                     easy_sequence):
    sequence, frames = easy_sequence
    tracker = OpenCVTracker("nanotrack", tuple(str(p) for p in nanotrack_onnx))
    tracker.init(frames[0], sequence.ground_truth[0])
    results = [tracker.track(frame) for frame in frames[1:4]]
    assert all(len(r.bbox) == 4 and 0.0 <= r.confidence <= 1.0 for r in results)
    assert len({r.confidence for r in results}) > 1 or results[0].confidence not in (0.0, 1.0)


def test_nanotrack_files_come_from_the_environment_or_are_asked_for(nanotrack_onnx, monkeypatch,
                                                                   tmp_path):
    for variable in NANOTRACK_ENV:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(FileNotFoundError, match="give --nanotrack-backbone or set "
                                                "SIAMCAR_NANOTRACK_BACKBONE"):
        OpenCVTracker("nanotrack")
    with pytest.raises(FileNotFoundError, match="nanotrack head file .*missing.onnx does not exist"):
        OpenCVTracker("nanotrack", (str(nanotrack_onnx[0]), str(tmp_path / "missing.onnx")))
    for variable, path in zip(NANOTRACK_ENV, nanotrack_onnx):
        monkeypatch.setenv(variable, str(path))
    assert OpenCVTracker("nanotrack")._files == nanotrack_onnx
