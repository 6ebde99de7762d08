"""The nanocar network: layout, NanoTrack V3 weights read safely and checked, training only
the centre-ness branch, and the tracker on it."""
import collections
from pathlib import Path

import numpy as np
import pytest
import torch

from siamcar_ros.model import CheckpointError, build_model, load_checkpoint, save_checkpoint
from siamcar_ros.model.checkpoint import guess_config
from siamcar_ros.model.nanotrack_weights import load_nanotrack_weights, nanocar_name
from siamcar_ros.training.config import ConfigError, make_config
from siamcar_ros.training.trainer import Trainer
from tracking_support import procedural_clip, track_boxes

FIXTURES = Path(__file__).parent / "fixtures" / "training"


def nanotrack_names(state_dict: dict) -> dict:
    """Our state dict under NanoTrack V3's names (the inverse of nanocar_name)."""
    renamed = {}
    for key, value in state_dict.items():
        key = key.replace("car_head.", "ban_head.")
        for part in ("cls_logits", "bbox_pred", "down_cls", "down_reg"):
            key = key.replace(f"ban_head.{part}.", f"ban_head.{part}.0.")
        renamed[key] = value
    return renamed


def write_nanotrack_file(path: Path, seed: int = 0, drop=(), reshape=()) -> dict:
    """A file in the published layout: {'epoch', 'state_dict', 'optimizer'} with numpy scalars,
    the unused neck included, made from a seeded nanocar network; returns its state dict."""
    torch.manual_seed(seed)
    model = build_model(architecture="nanocar")
    for parameter in model.parameters():
        parameter.data.normal_(0, 0.1)
    source = {k: v for k, v in model.state_dict().items() if not k.startswith("car_head.centerness")}
    state = nanotrack_names(source)
    state["neck.downsample.0.weight"] = torch.randn(96, 96, 1, 1)
    for key in drop:
        del state[key]
    for key in reshape:
        state[key] = torch.zeros(3, 3)
    torch.save({"epoch": 35, "state_dict": collections.OrderedDict(state),
                "optimizer": {"param_groups": [{"lr": np.float64(0.001), "step": np.int64(7)}]}},
               path)
    return source


def test_nanocar_maps_are_15x15_cells_16_pixels_apart_centred_on_the_crop():
    model = build_model(architecture="nanocar").eval()
    assert (model.score_size, model.stride, model.score_offset) == (15, 16, 15.0)
    template, search = torch.rand(2, 3, 127, 127) * 255, torch.rand(2, 3, 255, 255) * 255
    with torch.no_grad():
        outputs = model(template, search)
        tracked = model.track(search, model.template(template))
        shared = model.track(search, model.template(template[:1]))
    assert outputs["cls"].shape == (2, 2, 15, 15)
    assert outputs["loc"].shape == (2, 4, 15, 15) and bool((outputs["loc"] > 0).all())
    assert outputs["cen"].shape == (2, 1, 15, 15)
    assert torch.allclose(tracked["cls"], outputs["cls"], atol=1e-4)
    assert torch.allclose(shared["cls"][0], outputs["cls"][0], atol=1e-4)


def test_nanocar_has_a_fixed_layout_and_unknown_architectures_are_named():
    with pytest.raises(ValueError, match="leave head_channels unset"):
        build_model(architecture="nanocar", head_channels=64)
    with pytest.raises(ValueError, match="mobilenetv3_small backbone, got backbone 'resnet50'"):
        build_model(architecture="nanocar", backbone="resnet50")
    with pytest.raises(ValueError, match="unknown architecture 'siamrpn'"):
        build_model(architecture="siamrpn")


def test_nanotrack_weights_load_by_name_and_leave_only_centreness_at_init(tmp_path):
    path = tmp_path / "nanotrackv3.pth"
    source = write_nanotrack_file(path)
    model = build_model(architecture="nanocar")
    report = load_nanotrack_weights(model, path)
    loaded = model.state_dict()
    assert report["initial"] == ["car_head.centerness.weight", "car_head.centerness.bias"]
    assert report["dropped"] == ["neck.downsample.0.weight"]
    assert all(torch.equal(loaded[k], v) for k, v in source.items())
    assert nanocar_name("ban_head.cls_logits.0.weight") == "car_head.cls_logits.weight"


def test_nanotrack_weights_that_do_not_fit_name_every_bad_key(tmp_path):
    path = tmp_path / "bad.pth"
    write_nanotrack_file(path, drop=["ban_head.bbox_pred.0.bias"],
                         reshape=["ban_head.cls_tower.0.weight"])
    with pytest.raises(CheckpointError) as error:
        load_nanotrack_weights(build_model(architecture="nanocar"), path)
    text = str(error.value)
    assert "1 missing keys: car_head.bbox_pred.bias" in text
    assert "car_head.cls_tower.0.weight (file 3x3, model 96x1x3x3)" in text


class RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (print, ("this ran while loading",))


def test_nanotrack_files_with_code_in_them_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"x": torch.zeros(1)}, "extra": RunsCodeWhenUnpickled()}, path)
    with pytest.raises(CheckpointError, match="refusing to load them"):
        load_nanotrack_weights(build_model(architecture="nanocar"), path)
    assert "this ran" not in capsys.readouterr().out


def test_nanotrack_weights_go_into_nanocar_models_only(tiny_model, tmp_path):
    path = tmp_path / "nanotrackv3.pth"
    write_nanotrack_file(path)
    with pytest.raises(CheckpointError, match="'nanocar' architecture only"):
        load_nanotrack_weights(tiny_model, path)


def test_a_saved_nanocar_model_rebuilds_from_its_config_or_its_keys(tmp_path):
    model = build_model(architecture="nanocar")
    path = save_checkpoint(tmp_path / "model.pth", model, {"tracker_params": {"lr": 0.35}})
    loaded = load_checkpoint(path)
    assert loaded.config == {"architecture": "nanocar", "backbone": "mobilenetv3_small"}
    assert loaded.recommended_tracker_params == {"lr": 0.35}
    assert guess_config(model.state_dict()) == loaded.config


def nanocar_training_config(output_dir, weights) -> dict:
    return make_config({
        "model": {"architecture": "nanocar", "backbone": "mobilenetv3_small"},
        "data": {"sources": [{"type": "got10k", "root": str(FIXTURES / "got10k")}],
                 "pairs_per_epoch": 4, "workers": 0},
        "train": {"epochs": 1, "batch_size": 2, "warmup_epochs": 0, "threads": 1,
                  "device": "cpu", "seed": 3, "log_every": 1, "backbone_freeze_epochs": 1,
                  "backbone_bn_frozen": True, "head_bn_frozen": True,
                  "head_train_layers": ["car_head.centerness"], "base_lr": 0.05,
                  "init_nanotrack": str(weights)},
        "output": {"dir": str(output_dir)}})


def test_training_from_nanotrack_weights_can_teach_the_centreness_alone(tmp_path):
    weights = tmp_path / "nanotrackv3.pth"
    source = write_nanotrack_file(weights)
    trainer = Trainer(nanocar_training_config(tmp_path / "run", weights))
    trainer.run(max_iterations=2)
    after = trainer.model.state_dict()
    # every tensor from NanoTrack, batch-norm statistics included, is as it was loaded
    assert all(torch.equal(after[k], v) for k, v in source.items())
    assert not torch.equal(after["car_head.centerness.weight"],
                           build_model(architecture="nanocar").state_dict()["car_head.centerness.weight"])


def test_nanotrack_initialisation_needs_the_nanocar_architecture(tmp_path):
    with pytest.raises(ConfigError, match="train.init_nanotrack"):
        make_config({"model": {"backbone": "alexnet"},
                     "data": {"sources": [{"type": "procedural"}]},
                     "train": {"init_nanotrack": "nanotrackv3.pth"}})
    with pytest.raises(ConfigError, match="train.head_train_layers"):
        make_config({"model": {"backbone": "alexnet"},
                     "data": {"sources": [{"type": "procedural"}]},
                     "train": {"head_train_layers": []}})


def test_the_tracker_runs_a_nanocar_checkpoint(tmp_path):
    from siamcar_ros.tracking import load_tracker

    torch.manual_seed(1)
    path = save_checkpoint(tmp_path / "nanocar.pth", build_model(architecture="nanocar"),
                           {"tracker_params": {"window_influence": 0.45}})
    tracker = load_tracker(str(path), device="cpu", verifier=None, accelerator="none")
    assert tracker.params.window_influence == pytest.approx(0.45)
    frames, box = procedural_clip(4)
    boxes = track_boxes(tracker, frames, box)
    assert boxes.shape == (3, 4) and np.isfinite(boxes).all() and (boxes[:, 2:] > 0).all()
