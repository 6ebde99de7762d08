"""Compiled networks: torch.export's search branch and ONNX Runtime's whole-step graph track
like eager PyTorch; TensorRT without CUDA, a missing ONNX Runtime and a step graph that fails
to build fall back to eager PyTorch, saying so; auto takes ONNX Runtime on the CPU; unknown
names are refused."""
import logging

import numpy as np
import pytest
import torch

from siamcar_ros.data.procedural.calibration import calibration_crops
from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, load_tracker
from siamcar_ros.tracking import accelerate
from siamcar_ros.tracking.accelerate import ACCELERATORS, build_search_extractor
from siamcar_ros.tracking.precision import tensorrt_available
from siamcar_ros.tracking.step_graph import stacked_maps
from tracking_support import procedural_clip, track_boxes

CPU_ONLY = not torch.cuda.is_available()


@pytest.fixture(scope="module")
def frames_and_box():  # longer than the shared 16-frame clip (test/conftest.py)
    return procedural_clip(25)


@pytest.mark.parametrize("accelerator", ["export", "onnxruntime"])
def test_accelerated_search_branch_tracks_like_eager_pytorch(frames_and_box, accelerator):
    frames, box = frames_and_box
    eager = load_tracker("fast", device="cpu", accelerator="none")
    accelerated = load_tracker("fast", device="cpu", accelerator=accelerator)
    assert eager.acceleration.kind == "none" and eager.acceleration.extractor is None
    assert accelerated.acceleration.kind == accelerator
    part = "whole step (search branch, correlation, head) in one graph" if accelerator == "onnxruntime" \
        else "search branch"
    assert f"{part} on cpu" in accelerated.acceleration.note
    boxes_eager = track_boxes(eager, frames, box)
    boxes_accelerated = track_boxes(accelerated, frames, box)
    assert np.abs(boxes_eager - boxes_accelerated).max() < 1e-2
    # the boxes moved: this compared real tracking, not a stuck target
    assert np.abs(boxes_eager[-1] - np.array(box)).max() > 1.0


def test_exported_resnet50_branch_gives_the_eager_maps():
    torch.manual_seed(0)
    model = build_model(backbone="resnet50").eval()
    acceleration = build_search_extractor(model, "export", torch.device("cpu"))
    assert acceleration.kind == "export"
    search = torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        template = model.template(torch.rand(1, 3, 127, 127) * 255)
        expected = model.track(search, template)
        produced = model.track_features(acceleration.extractor(search), template)
    for name in ("cls", "loc", "cen"):
        assert torch.allclose(produced[name], expected[name], rtol=1e-4, atol=1e-4), name


@pytest.mark.skipif(not CPU_ONLY, reason="checks the fallback on a machine without CUDA")
def test_tensorrt_without_cuda_falls_back_to_eager_with_a_warning(frames_and_box, caplog):
    frames, box = frames_and_box
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.accelerate"):
        tracker = load_tracker("fast", device="cpu", accelerator="tensorrt")
    assert tracker.acceleration.kind == "none"
    assert "accelerator 'tensorrt' unavailable (TensorRT needs a CUDA device, tracking runs on cpu)" \
        in caplog.text
    assert "using eager PyTorch" in tracker.acceleration.note
    assert np.all(np.isfinite(track_boxes(tracker, frames[:5], box)))


def test_onnxruntime_step_of_a_mobilenet_gives_the_eager_maps():
    model = build_model("mobilenetv2", neck_channels=16, head_channels=16, head_num_convs=1,
                        backbone_outputs=[2, 4]).eval()
    acceleration = build_search_extractor(model, "onnxruntime", torch.device("cpu"))
    assert acceleration.extractor is None and acceleration.step is not None
    generator = torch.Generator().manual_seed(1)
    crop = torch.rand(1, 3, 255, 255, generator=generator) * 255
    with torch.no_grad():
        template = model.template(torch.rand(1, 3, 127, 127, generator=generator) * 255)
        expected = stacked_maps(model.track(crop, template)).numpy()
    produced = acceleration.step(crop, template)
    assert produced.shape == (6, model.score_size, model.score_size)
    np.testing.assert_allclose(produced, expected, rtol=1e-4, atol=1e-3)


def test_the_default_model_runs_its_whole_step_and_verifier_in_onnxruntime(frames_and_box):
    frames, box = frames_and_box
    eager = load_tracker("default", device="cpu", accelerator="none")
    accelerated = load_tracker("default", device="cpu")
    assert accelerated.acceleration.kind == "onnxruntime" and accelerated.acceleration.step is not None
    assert "box verifier in ONNX Runtime" in accelerated.acceleration.note
    assert "box verifier" not in eager.acceleration.note
    eager.init(frames[0], box)
    accelerated.init(frames[0], box)
    for frame in frames[1:]:
        expected, produced = eager.track(frame), accelerated.track(frame)
        assert np.abs(np.array(expected.bbox) - np.array(produced.bbox)).max() < 1e-2
        assert abs(expected.confidence - produced.confidence) < 1e-3
        assert abs(expected.verification - produced.verification) < 1e-4


def test_a_step_graph_that_fails_to_build_falls_back_to_eager_with_a_warning(monkeypatch, caplog):
    from siamcar_ros.tracking import step_graph

    def refuse(*args, **kwargs):
        raise RuntimeError("no exporter for this layer")

    monkeypatch.setattr(step_graph.OnnxRuntimeStep, "__init__", refuse)
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.accelerate"):
        tracker = load_tracker("fast", device="cpu", accelerator="onnxruntime")
    assert tracker.acceleration.kind == "none" and tracker.acceleration.step is None
    assert ("accelerator 'onnxruntime' failed to compile the whole step: RuntimeError: no exporter "
            "for this layer; using eager PyTorch") in caplog.text


def test_missing_onnxruntime_falls_back_to_eager_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(accelerate, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.accelerate"):
        tracker = load_tracker("fast", device="cpu", accelerator="onnxruntime")
    assert tracker.acceleration.kind == "none"
    assert "accelerator 'onnxruntime' unavailable (onnxruntime is not installed)" in caplog.text


@pytest.mark.skipif(not CPU_ONLY or tensorrt_available(), reason="CPU machine without TensorRT")
def test_auto_on_the_cpu_takes_onnxruntime_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.accelerate"):
        tracker = load_tracker("fast", device="cpu")
    assert tracker.acceleration.kind == "onnxruntime"
    assert not caplog.records


def test_auto_without_onnxruntime_on_the_cpu_is_eager_without_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(accelerate, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.accelerate"):
        tracker = load_tracker("fast", device="cpu")
    assert tracker.acceleration.kind == "none" and "auto" in tracker.acceleration.note
    assert not caplog.records


def test_unknown_accelerator_names_the_allowed_ones(tiny_model):
    with pytest.raises(ValueError) as error:
        SiamCARTracker(tiny_model, device="cpu", accelerator="openvino")
    assert str(error.value) == f"unknown accelerator 'openvino'; allowed: {', '.join(ACCELERATORS)}"


def test_bf16_tracks_like_fp32_where_the_cpu_has_it(frames_and_box):
    from siamcar_ros.tracking.precision import cpu_supports_bf16

    if not cpu_supports_bf16():
        pytest.skip("this CPU has no bfloat16 instructions")
    frames, box = frames_and_box
    fp32 = load_tracker("fast", device="cpu", accelerator="none")
    for accelerator, kind in (("none", "none"), ("auto", "compile")):
        bf16 = load_tracker("fast", device="cpu", precision="bf16", accelerator=accelerator,
                            calibration=calibration_crops)
        assert bf16.precision == "bf16" and bf16.acceleration.kind == kind
        assert "bf16" in bf16.acceleration.note or "bfloat16" in bf16.acceleration.note
        boxes_fp32 = track_boxes(fp32, frames[:12], box)
        boxes_bf16 = track_boxes(bf16, frames[:12], box)
        assert np.abs(boxes_fp32 - boxes_bf16).max() < 3.0


def test_bf16_is_refused_with_the_reason_where_it_cannot_run(monkeypatch):
    """Conflicting arguments are named before what the CPU lacks, so the words are the same on
    every CPU (here one without bfloat16 instructions)."""
    from siamcar_ros.tracking import precision

    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: False)
    with pytest.raises(ValueError, match="runs with accelerator auto or none or compile, got 'onnxruntime'"):
        load_tracker("fast", device="cpu", precision="bf16", accelerator="onnxruntime")
    with pytest.raises(ValueError, match="'int8' runs with accelerator auto or compile, got 'none'"):
        load_tracker("fast", device="cpu", precision="int8", accelerator="none")
    with pytest.raises(ValueError, match="'int8' is for the CPU; on cuda use half=True"):
        precision.resolve_precision("int8", torch.device("cuda"), "auto")
    with pytest.raises(ValueError, match="'bf16' is for the CPU; on cuda use half=True"):
        precision.resolve_precision("bf16", torch.device("cuda"), "auto")
    with pytest.raises(ValueError, match="precision must be fp32 with them, got 'bf16'"):
        precision.resolve_precision("bf16", torch.device("cpu"), "auto", exported=True)
    with pytest.raises(ValueError, match="needs a CPU with bfloat16 instructions"):
        load_tracker("fast", device="cpu", precision="bf16")
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        load_tracker("fast", device="cpu", precision="int4")
