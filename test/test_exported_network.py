"""Exported network files in place of the PyTorch network: the ONNX pair tracks like eager;
missing, corrupt and another model's files, and engines without CUDA, are each a warning that
names the problem, and tracking goes on with the PyTorch network. siamcar-build-engines says
what it needs where TensorRT is not installed."""
import logging

import numpy as np
import pytest
import torch

from siamcar_ros.deploy.engine_build import main as build_engines_main
from siamcar_ros.model.onnx_export import export_onnx
from siamcar_ros.tracking import load_tracker
from siamcar_ros.tracking.exported import (ExportedNetworkError, TensorRTNetwork, exported_paths,
                                           load_exported_network)
from tracking_support import track_boxes


@pytest.fixture(scope="module")
def exported_fast(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    model = load_tracker("fast", device="cpu", accelerator="none").model
    export_onnx(model, folder, "fast")
    return folder


def test_exported_pair_tracks_like_the_pytorch_network(exported_fast, frames_and_box):
    frames, box = frames_and_box
    eager = load_tracker("fast", device="cpu", accelerator="none")
    exported = load_tracker("fast", device="cpu", exported=exported_fast / "fast")
    assert exported.exported is not None and exported.acceleration.kind == "exported"
    assert "fast_search.onnx (onnxruntime)" in exported.acceleration.note
    boxes = track_boxes(exported, frames, box)
    assert np.abs(track_boxes(eager, frames, box) - boxes).max() < 1e-2
    assert np.abs(boxes[-1] - np.array(box)).max() > 1.0        # it tracked, not stood still
    # a file name of the pair is taken as the prefix too
    assert load_tracker("fast", device="cpu", exported=exported_fast / "fast_search.onnx").exported


def warning_of(caplog) -> str:
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    return warnings[0]


def test_missing_files_are_named_and_the_pytorch_network_runs(tmp_path, caplog, frames_and_box):
    with caplog.at_level(logging.WARNING):
        tracker = load_tracker("fast", device="cpu", exported=tmp_path / "absent")
    assert tracker.exported is None and tracker.acceleration.kind != "exported"
    message = warning_of(caplog)
    assert "absent_template.onnx" in message and "missing" in message and "PyTorch network" in message
    frames, box = frames_and_box
    assert track_boxes(tracker, frames[:4], box).shape == (3, 4)


def test_a_corrupt_file_is_named(tmp_path, caplog):
    for path in exported_paths(tmp_path / "bad", ".onnx"):
        path.write_bytes(b"not a protobuf")
    with caplog.at_level(logging.WARNING):
        tracker = load_tracker("fast", device="cpu", exported=tmp_path / "bad")
    assert tracker.exported is None
    assert "bad_template.onnx is not a loadable ONNX file" in warning_of(caplog)


def test_another_models_files_are_refused(exported_fast, caplog):
    with caplog.at_level(logging.WARNING):
        tracker = load_tracker("default", device="cpu", exported=exported_fast / "fast")
    assert tracker.exported is None
    assert "was exported from another network" in warning_of(caplog)


def test_same_shapes_but_other_weights_are_refused(exported_fast):
    model = load_tracker("fast", device="cpu", accelerator="none").model
    with torch.no_grad():
        model.car_head.cls_logits.bias[1] += 3.0
    with pytest.raises(ExportedNetworkError, match="does not compute this checkpoint's network"):
        load_exported_network(exported_fast / "fast", model, torch.device("cpu"))


def test_engines_are_for_cuda_and_reduced_precision_is_refused(exported_fast, tmp_path, monkeypatch):
    from siamcar_ros.tracking import precision

    # the conflict is named before what the CPU lacks: the same words on every CPU
    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: False)
    with pytest.raises(ExportedNetworkError, match="TensorRT engines run on CUDA; tracking runs on cpu"):
        TensorRTNetwork(tmp_path / "a.engine", tmp_path / "b.engine", torch.device("cpu"))
    with pytest.raises(ValueError, match="precision must be fp32 with them, got 'bf16'"):
        load_tracker("fast", device="cpu", precision="bf16", exported=exported_fast / "fast")


def test_build_engines_without_tensorrt_says_what_it_needs(exported_fast, capsys):
    import importlib.util

    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("TensorRT is installed here")
    assert build_engines_main([str(exported_fast / "fast")]) == 2
    error = capsys.readouterr().err
    assert "tensorrt package is not installed" in error and "machine with the GPU" in error
