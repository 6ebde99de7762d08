"""Reduced precision on the CPU: the compiled fp32 branch gives eager's maps; bf16 keeps the
leading convolutions that would lose their precision in fp32; int8 is calibrated on
procedural crops (siamcar_ros.data.procedural.calibration, passed by the caller), tracks close
to fp32, and a missing torchao or missing calibration crops is a fallback with a warning or a
clear error, never a crash."""
import logging

import numpy as np
import pytest
import torch

from siamcar_ros.data.procedural.calibration import calibration_crops
from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, load_tracker
from siamcar_ros.tracking import quantize
from siamcar_ros.tracking.accelerate import _SearchBranch, build_search_extractor
from siamcar_ros.tracking.quantize import (QuantizationError, bf16_branch, convolutions_in_order,
                                           fold_batch_norms, mean_relative_error)
from tracking_support import track_boxes


def test_calibration_crops_are_search_crops_of_procedural_frames():
    crops = calibration_crops(255, 7)
    assert len(crops) == 7
    assert all(tuple(c.shape) == (1, 3, 255, 255) and c.dtype == torch.float32 for c in crops)
    assert 0 <= float(min(c.min() for c in crops)) and float(max(c.max() for c in crops)) <= 255
    # real picture content, not flat padding: every crop varies
    assert all(float(c.std()) > 5 for c in crops)
    assert torch.equal(crops[3], calibration_crops(255, 7)[3])     # deterministic


def test_folding_batch_norms_keeps_the_features():
    torch.manual_seed(0)
    model = build_model(backbone="resnet18").eval()
    branch = _SearchBranch(model).eval()
    crop = calibration_crops(255, 1)[0]
    folded, count = fold_batch_norms(branch, crop)
    assert count == sum(isinstance(m, torch.nn.BatchNorm2d) for m in branch.modules()) > 10
    with torch.no_grad():
        for a, b in zip(folded(crop), branch(crop)):
            assert torch.allclose(a, b, rtol=1e-3, atol=1e-3 * float(b.abs().max()))


def test_bf16_keeps_the_leading_convolutions_the_bundled_model_needs():
    model = load_tracker("default", device="cpu", accelerator="none").model
    branch = _SearchBranch(model).eval()
    crops = calibration_crops(255, 3)
    order = convolutions_in_order(branch, crops[0])
    reduced = bf16_branch(branch, crops)
    # the first layers see the image's range: without them in fp32 the features miss the target
    assert 1 <= len(reduced.kept) < len(order) // 2
    assert reduced.kept == order[:len(reduced.kept)]
    with torch.no_grad():
        error = np.mean([mean_relative_error(reduced(c), branch(c)) for c in crops])
        assert error <= quantize.BF16_TARGET_ERROR
        nothing_kept = type(reduced)(fold_batch_norms(branch, crops[0])[0], [])
        assert (np.mean([mean_relative_error(nothing_kept(c), branch(c)) for c in crops])
                > quantize.BF16_TARGET_ERROR)


def test_compiled_fp32_branch_tracks_like_eager(frames_and_box):
    frames, box = frames_and_box
    eager = load_tracker("fast", device="cpu", accelerator="none")
    compiled = load_tracker("fast", device="cpu", accelerator="compile")
    assert compiled.acceleration.kind == "compile", compiled.acceleration.note
    assert np.abs(track_boxes(eager, frames, box) - track_boxes(compiled, frames, box)).max() < 1e-2


def test_int8_tracks_close_to_fp32(frames_and_box):
    frames, box = frames_and_box
    fp32 = load_tracker("fast", device="cpu", accelerator="none")
    int8 = load_tracker("fast", device="cpu", precision="int8", calibration=calibration_crops)
    assert int8.precision == "int8" and int8.acceleration.kind == "compile"
    assert "compile int8 search branch" in int8.acceleration.note
    boxes_fp32, boxes_int8 = track_boxes(fp32, frames, box), track_boxes(int8, frames, box)
    centres = lambda b: b[:, :2] + b[:, 2:] / 2       # noqa: E731
    assert np.abs(centres(boxes_fp32) - centres(boxes_int8)).max() < 8.0


def test_int8_with_an_empty_calibration_set_is_an_error():
    with pytest.raises(QuantizationError, match="needs calibration crops .* an empty set was given"):
        SiamCARTracker(load_tracker("fast", device="cpu", accelerator="none").model, device="cpu",
                       precision="int8", calibration=[])


@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_reduced_precision_without_calibration_crops_says_what_to_pass(precision, monkeypatch):
    from siamcar_ros.tracking import precision as precisions

    monkeypatch.setattr(precisions, "cpu_supports_bf16", lambda: True)   # the crops are checked after
    model = load_tracker("fast", device="cpu", accelerator="none").model
    with pytest.raises(QuantizationError, match=f"precision '{precision}' needs calibration crops .* "
                                                "none were given: pass calibration=.*calibration_crops"):
        SiamCARTracker(model, device="cpu", precision=precision)



def test_int8_without_torchao_falls_back_to_fp32_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(quantize, "torchao_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        tracker = load_tracker("fast", device="cpu", precision="int8", calibration=calibration_crops)
    assert tracker.precision == "fp32" and tracker.acceleration.kind == "none"
    assert "needs the torchao package" in tracker.acceleration.note
    assert any("torchao" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_onnxruntime_on_cuda_without_its_provider_falls_back_with_the_reason(tiny_model, caplog):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider")
    model = tiny_model.eval()
    with caplog.at_level(logging.WARNING):
        acceleration = build_search_extractor(model, "onnxruntime", torch.device("cuda"))
    assert acceleration.kind == "none"
    assert "no execution provider for cuda" in acceleration.note and "onnxruntime-gpu" in acceleration.note
