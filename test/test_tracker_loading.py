"""load_tracker: a ready tracker from a checkpoint file or the bundled default model."""
import numpy as np
import pytest
import torch

from siamcar_ros.model import build_model, save_checkpoint
from siamcar_ros.tracking import (
    DEFAULT_CHECKPOINT_ENV,
    SiamCARTracker,
    TrackerParams,
    default_checkpoint_path,
    load_tracker,
)


def test_loads_the_network_the_file_describes_and_tracks(small_alexnet_checkpoint):
    tracker = load_tracker(small_alexnet_checkpoint, device="cpu", params="UAV123")
    assert isinstance(tracker, SiamCARTracker)
    assert tracker.model.config["backbone"] == "alexnet" and tracker.geometry.score_size == 17
    assert tracker.params == TrackerParams.from_preset("UAV123")
    frame = np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    tracker.init(frame, (20, 20, 16, 12))
    assert len(tracker.track(frame).bbox) == 4


def test_backbone_that_does_not_match_the_file_is_named(small_alexnet_checkpoint):
    with pytest.raises(ValueError, match="holds a 'alexnet' network, not the requested backbone 'resnet18'"):
        load_tracker(small_alexnet_checkpoint, backbone="resnet18", device="cpu")
    tracker = load_tracker(small_alexnet_checkpoint, backbone="alexnet", device="cpu")
    assert tracker.model.config["backbone"] == "alexnet"


def test_missing_checkpoint_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.pth does not exist"):
        load_tracker(tmp_path / "nothere.pth", device="cpu")


def test_missing_default_model_says_how_to_proceed(tmp_path, monkeypatch):
    monkeypatch.setenv(DEFAULT_CHECKPOINT_ENV, str(tmp_path / "absent.pth"))
    assert default_checkpoint_path() == tmp_path / "absent.pth"
    with pytest.raises(FileNotFoundError, match="default model .*absent.pth is missing; pass checkpoint="):
        load_tracker(device="cpu")


def test_bundled_models_are_chosen_by_name_and_a_file_of_that_name_wins(tmp_path, monkeypatch):
    from siamcar_ros.tracking import BUNDLED_MODELS, resolve_checkpoint
    monkeypatch.delenv(DEFAULT_CHECKPOINT_ENV, raising=False)
    assert resolve_checkpoint("fast") == BUNDLED_MODELS["fast"] and BUNDLED_MODELS["fast"].is_file()
    assert resolve_checkpoint("default") == resolve_checkpoint(None) == default_checkpoint_path()
    assert resolve_checkpoint("") == default_checkpoint_path()
    tracker = load_tracker("fast", device="cpu", accelerator="none")
    assert tracker.model.config["backbone"] == "alexnet"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast").write_bytes(b"not a model")
    assert resolve_checkpoint("fast") == tmp_path.joinpath("fast").relative_to(tmp_path)


def test_default_checkpoint_is_the_repository_model_file(monkeypatch):
    monkeypatch.delenv(DEFAULT_CHECKPOINT_ENV, raising=False)
    path = default_checkpoint_path()
    assert path.name == "siamcar_default.pth" and path.parent.name == "models"


def test_checkpoint_recommended_settings_fill_what_the_caller_leaves_unset(tmp_path):
    torch.manual_seed(0)
    model = build_model("alexnet", width_mult=0.25, neck_channels=32, head_channels=32, head_num_convs=2)
    path = save_checkpoint(tmp_path / "tuned.pth", model,
                           extra={"tracker_params": {"strategy": "reference", "lr": 0.5}})
    assert load_tracker(path, device="cpu").params == TrackerParams(strategy="reference", lr=0.5)
    # a preset replaces the recommended hyper-parameters but keeps the model's strategy
    by_preset = load_tracker(path, device="cpu", params="OTB100").params
    assert by_preset == TrackerParams.from_preset("OTB100", strategy="reference")
    # explicit settings win; a TrackerParams instance is taken as it is
    assert load_tracker(path, device="cpu", params={"strategy": "coarse_to_fine"}).params.strategy == "coarse_to_fine"
    tracker = load_tracker(path, device="cpu", params=TrackerParams())
    assert tracker.params == TrackerParams()
    tracker.update_params({"penalty_k": 0.1})
    assert tracker.params == TrackerParams(strategy="reference", lr=0.5, penalty_k=0.1)


def test_bundled_model_tracks_with_the_settings_its_yaml_records():
    # models/siamcar_default.yaml keeps what siamcar-tune chose; the .pth carries the same
    import yaml

    from siamcar_ros.tracking import default_checkpoint_path

    record = yaml.safe_load(default_checkpoint_path().with_suffix(".yaml").read_text())
    chosen = record["tracker_params"]
    params = load_tracker(device="cpu").params
    assert {key: getattr(params, key) for key in chosen} == chosen
    assert record["tuning"]["procedural_seed"] != 2024      # not chosen on the benchmark


def test_a_bundled_model_missing_beside_the_package_is_found_in_the_installed_share(tmp_path, monkeypatch):
    from siamcar_ros.tracking import bundled

    source_copy = tmp_path / "checkout" / "models" / "siamcar_fast.pth"          # not there
    installed = tmp_path / "install" / "siamcar_ros" / "share" / "siamcar_ros" / "models" / "siamcar_fast.pth"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"model")
    monkeypatch.setitem(bundled.BUNDLED_MODELS, "fast", source_copy)
    monkeypatch.setenv("AMENT_PREFIX_PATH", f"{tmp_path / 'elsewhere'}:{installed.parents[3]}")
    monkeypatch.chdir(tmp_path)
    assert bundled.resolve_checkpoint("fast") == installed
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path / "elsewhere"))
    assert bundled.resolve_checkpoint("fast") == source_copy                    # named in the error
