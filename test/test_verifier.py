"""The box verifier: its patches, its file, its answers on a look-alike, its place in the
confidence, and its training (pairs, determinism, resuming)."""
import cv2
import numpy as np
import pytest
import torch

from siamcar_ros.data.procedural import generate_sequence
from siamcar_ros.tracking import BUNDLED_VERIFIER, load_tracker, resolve_verifier
from siamcar_ros.tracking.params import TrackerParamError, TrackerParams
from siamcar_ros.tracking.verifier import (VERIFIER_SIZE, Verifier, VerifierError, box_patch,
                                           load_verifier)
from siamcar_ros.training import verifier as training


def _textured(seed=0, shape=(240, 320)):
    rng = np.random.default_rng(seed)
    small = rng.integers(20, 230, (shape[0] // 8, shape[1] // 8, 3)).astype(np.uint8)
    return np.kron(small, np.ones((8, 8, 1), np.uint8))


def test_box_patch_resizes_the_box_and_divides_out_brightness():
    frame = _textured()
    patch = box_patch(frame, (40, 32, 64, 48))
    assert patch.shape == (3, VERIFIER_SIZE, VERIFIER_SIZE) and patch.dtype == np.float32
    assert patch.mean() == pytest.approx(1.0, abs=0.02)
    # a darker frame (colours kept) gives the same patch
    darker = (frame.astype(np.float32) * 0.5).round().astype(np.uint8)
    np.testing.assert_allclose(box_patch(darker, (40, 32, 64, 48)), patch, atol=0.05)
    # the patch is the box's content: its left and right halves come from the frame's
    direct = cv2.resize(frame[32:80, 40:104], (VERIFIER_SIZE, VERIFIER_SIZE),
                        interpolation=cv2.INTER_AREA).astype(np.float32)
    assert np.corrcoef(patch[0].ravel(), direct[:, :, 0].ravel())[0, 1] > 0.9
    # outside the frame: the nearest edge pixels, no error
    assert np.isfinite(box_patch(frame, (-50, -40, 80, 80))).all()
    # a large box is shrunk first and still shows the same picture
    large = np.kron(frame, np.ones((4, 4, 1), np.uint8))
    np.testing.assert_allclose(box_patch(large, (160, 128, 256, 192)), patch, atol=0.12)


def test_verifier_files_load_and_bad_files_are_refused(tmp_path):
    assert BUNDLED_VERIFIER.is_file()
    verifier = load_verifier(BUNDLED_VERIFIER)
    assert isinstance(verifier, Verifier) and not verifier.training
    with pytest.raises(VerifierError, match="does not exist"):
        load_verifier(tmp_path / "missing.pth")
    wrong = tmp_path / "wrong.pth"
    torch.save({"backbone.weight": torch.zeros(3)}, wrong)
    with pytest.raises(VerifierError, match="is not a verifier file"):
        load_verifier(wrong)
    assert resolve_verifier("auto", tmp_path / "model.pth") == BUNDLED_VERIFIER
    assert resolve_verifier(None, tmp_path / "model.pth") is None
    assert resolve_verifier("none", tmp_path / "model.pth") is None
    beside = tmp_path / "siamcar_verifier.pth"
    torch.save({"width": 8, "state_dict": Verifier(8).state_dict()}, beside)
    assert resolve_verifier("auto", tmp_path / "model.pth") == beside


def test_the_bundled_verifier_tells_the_target_from_its_look_alikes():
    """Validation sequences (never trained on) with look-alikes: the target's box in later
    frames against the look-alikes' boxes in the same frames."""
    verifier = load_verifier(BUNDLED_VERIFIER)
    same, other = [], []
    for seed in (1000001013, 1000001008, 1000003000, 1000003003):
        sequence = generate_sequence(seed, attributes=["similar_distractors"])
        reference = box_patch(sequence.frames[0], sequence.ground_truth[0])
        for index in (20, 60, 100):
            frame = sequence.frames[index]
            same.append(verifier.probability(reference, [box_patch(frame, sequence.ground_truth[index])])[0])
            other.extend(verifier.probability(reference, [box_patch(frame, box) for box in
                                                          sequence.distractor_boxes(index)]))
    same, other = np.array(same), np.array(other)
    assert len(other) >= 12
    assert np.median(same) > 0.7 and np.median(other) < 0.3
    assert (same[:, None] > other[None, :]).mean() > 0.85


def test_the_verifier_answers_the_same_from_onnxruntime_for_any_number_of_boxes(monkeypatch):
    frame = _textured(3)
    reference = box_patch(frame, (40, 32, 64, 48))
    candidates = [box_patch(frame, (40 + 9 * k, 32, 64, 48)) for k in range(5)]
    eager = load_verifier(BUNDLED_VERIFIER)
    accelerated = load_verifier(BUNDLED_VERIFIER)
    assert accelerated.run_in_onnxruntime() == "box verifier in ONNX Runtime"
    for count in (1, 2, 5):
        np.testing.assert_allclose(accelerated.probability(reference, candidates[:count]),
                                   eager.probability(reference, candidates[:count]), atol=1e-5)
    # the session answers, not the module: changing the module's weights does not reach it
    with torch.no_grad():
        accelerated.classifier.bias.add_(5.0)
    np.testing.assert_allclose(accelerated.probability(reference, candidates[:2]),
                               eager.probability(reference, candidates[:2]), atol=1e-5)
    # without ONNX Runtime it stays eager and says so
    from siamcar_ros.tracking import accelerate
    monkeypatch.setattr(accelerate, "onnxruntime_available", lambda: False)
    assert "eager PyTorch (onnxruntime is not installed)" in eager.run_in_onnxruntime()


def test_the_verifier_joins_the_confidence_and_its_weight_is_checked():
    sequence = generate_sequence(1000001013, attributes=["similar_distractors"])
    first, later = sequence.frames[0], sequence.frames[5]
    with_verifier = load_tracker("default", device="cpu")
    assert with_verifier.verifier is not None
    with_verifier.init(first, sequence.ground_truth[0])
    result = with_verifier.track(later)
    colour = np.exp(-with_verifier.params.colour_weight * result.colour_shift)
    assert 0.0 < result.verification <= 1.0 and with_verifier.params.verifier_weight == 2.0
    assert result.confidence == pytest.approx(result.peak * colour * result.verification ** 2)
    once = load_tracker("default", device="cpu", params={"verifier_weight": 1.0})
    once.init(first, sequence.ground_truth[0])
    again = once.track(later)
    assert again.confidence == pytest.approx(result.peak * colour * result.verification)
    for params, verifier in (({"verifier_weight": 0.0}, "auto"), ({}, None)):
        without = load_tracker("default", device="cpu", params=params, verifier=verifier)
        without.init(first, sequence.ground_truth[0])
        plain = without.track(later)
        assert plain.verification == 1.0 and plain.confidence == pytest.approx(result.peak * colour)
    with pytest.raises(TrackerParamError) as error:
        TrackerParams(verifier_weight=11.0)
    assert error.value.name == "verifier_weight" and "verifier_weight: must be within 0..10" in str(error.value)


def test_training_pairs_hold_both_answers():
    references, candidates, labels = training.sequence_pairs(("short", training.SHORT_FIRST_SEED, 6))
    assert references.shape == candidates.shape and candidates.shape[1:] == (3, VERIFIER_SIZE, VERIFIER_SIZE)
    assert len(labels) == len(candidates) and set(np.unique(labels)) == {0.0, 1.0}
    np.testing.assert_array_equal(references[0], references[-1])       # one initial box
    again = training.sequence_pairs(("short", training.SHORT_FIRST_SEED, 6))
    np.testing.assert_array_equal(again[1], candidates)                 # deterministic


def test_training_resumes_where_it_stopped(tmp_path):
    options = dict(short=3, long=1, frames=6, epochs=2, width=8, batch_size=16, lr=3e-3, seed=5,
                   workers=1)
    straight = training.train(tmp_path / "straight", **options)
    stopped = training.train(tmp_path / "stopped", **options, stop_after=1)
    assert torch.load(tmp_path / "stopped" / "state.pth", weights_only=True)["epoch"] == 1
    resumed = training.train(tmp_path / "stopped", **options)
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value)
    assert any(not torch.equal(stopped.state_dict()[k], v) for k, v in straight.state_dict().items())
