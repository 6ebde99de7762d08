"""The training loop: loss goes down on a fixed batch; schedule; checkpoints resume exactly."""
import math
from pathlib import Path

import pytest
import torch

from siamcar_ros.model import load_checkpoint
from siamcar_ros.model.checkpoint import read_checkpoint
from siamcar_ros.training.package_model import package_model
from siamcar_ros.training.cli import main as train_cli
from siamcar_ros.training.config import ConfigError, make_config
from siamcar_ros.training.schedule import backbone_frozen, learning_rate
from siamcar_ros.training.trainer import LATEST_CHECKPOINT, Trainer

FIXTURES = Path(__file__).parent / "fixtures" / "training"
TINY_MODEL = {"backbone": "alexnet", "width_mult": 0.125, "neck_channels": 8,
              "head_channels": 8, "head_num_convs": 1}


def tiny_config(output_dir, **train_overrides) -> dict:
    train = {"epochs": 2, "batch_size": 2, "warmup_epochs": 1, "backbone_freeze_epochs": 1,
             "threads": 1, "log_every": 1, "device": "cpu", "seed": 3}
    train.update(train_overrides)
    return make_config({
        "model": TINY_MODEL,
        "data": {"sources": [{"type": "got10k", "root": str(FIXTURES / "got10k")}],
                 "pairs_per_epoch": 6, "workers": 0},
        "train": train,
        "output": {"dir": str(output_dir)}})


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss(tmp_path):
    trainer = Trainer(tiny_config(tmp_path, backbone_freeze_epochs=0, base_lr=0.01,
                                  warmup_start_lr=0.01))
    batch = next(iter(trainer._loader(epoch=0)))
    trainer._apply_freeze(False)
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.01
    losses = [trainer.train_step(batch, trainer.model)["total"] for _ in range(12)]
    assert losses[-1] < 0.7 * losses[0], losses


def test_learning_rate_warms_up_then_decays_log_linearly():
    train = {"warmup_epochs": 2, "epochs": 6, "warmup_start_lr": 0.001, "base_lr": 0.004,
             "end_lr": 0.0004}
    assert learning_rate(0, train) == pytest.approx(0.001)
    assert learning_rate(1, train) == pytest.approx(0.002)      # geometric midpoint
    assert learning_rate(2, train) == pytest.approx(0.004)
    assert learning_rate(4, train) == pytest.approx(0.004 * 0.1 ** 0.5)
    assert learning_rate(6, train) == pytest.approx(0.0004)
    assert backbone_frozen(0, {"backbone_freeze_epochs": 1})
    assert not backbone_frozen(1, {"backbone_freeze_epochs": 1})


def test_frozen_backbone_does_not_change_then_trains_at_a_tenth(tmp_path):
    trainer = Trainer(tiny_config(tmp_path))
    before = {k: v.clone() for k, v in trainer.model.backbone.state_dict().items()}
    trainer.run(max_iterations=trainer.iterations_per_epoch)
    after = trainer.model.backbone.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    trainer.run(max_iterations=trainer.iterations_per_epoch + 1)
    groups = {g["name"]: g["lr"] for g in trainer.optimizer.param_groups}
    assert groups["backbone"] == pytest.approx(0.1 * groups["head"])
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.backbone.state_dict().items())


def test_resume_continues_the_same_schedule_and_optimizer_state(tmp_path):
    straight = Trainer(tiny_config(tmp_path / "straight"))
    straight.run()
    interrupted = Trainer(tiny_config(tmp_path / "interrupted"))
    interrupted.run(max_iterations=2)          # stops inside the frozen first epoch
    checkpoint = tmp_path / "interrupted" / LATEST_CHECKPOINT
    resumed = Trainer(tiny_config(tmp_path / "interrupted"), resume=checkpoint)
    assert resumed.iteration == 2
    resumed.run()
    assert resumed.iteration == straight.iteration == straight.total_iterations
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), name
    for group_a, group_b in zip(straight.optimizer.param_groups, resumed.optimizer.param_groups):
        assert group_a["lr"] == pytest.approx(group_b["lr"])
    state_a = straight.optimizer.state_dict()["state"]
    state_b = resumed.optimizer.state_dict()["state"]
    assert state_a.keys() == state_b.keys() and state_a
    for key in state_a:
        assert torch.allclose(state_a[key]["momentum_buffer"], state_b[key]["momentum_buffer"], atol=1e-6)


def test_cli_writes_log_checkpoints_and_a_loadable_final_model(tmp_path):
    config_path = tmp_path / "train.yaml"
    import yaml
    config = tiny_config(tmp_path / "run", epochs=1, warmup_epochs=0, backbone_freeze_epochs=0)
    config_path.write_text(yaml.safe_dump(config))
    assert train_cli(["--config", str(config_path)]) == 0
    log_lines = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert log_lines[0].startswith("iteration,epoch,lr,total")
    assert len(log_lines) == 1 + 3
    model = load_checkpoint(tmp_path / "run" / "model_final.pth")
    assert model.config["width_mult"] == 0.125
    assert (tmp_path / "run" / "checkpoint_epoch001.pth").is_file()
    # packaging it as a bundled model keeps weights, build config and the training record
    bundled = package_model(tmp_path / "run" / "model_final.pth", [config_path],
                           tmp_path / "models" / "bundled.pth", {"strategy": "reference"})
    contents = read_checkpoint(bundled)
    assert contents.extra["tracker_params"] == {"strategy": "reference"}
    assert contents.config == model.config
    record = yaml.safe_load(bundled.with_suffix(".yaml").read_text())
    assert record["stages"][0]["model"]["width_mult"] == 0.125


def test_resume_with_a_different_batch_layout_is_refused(tmp_path):
    first = Trainer(tiny_config(tmp_path / "a"))
    first.run(max_iterations=1)
    other = tiny_config(tmp_path / "a", batch_size=3)
    with pytest.raises(ValueError, match="iterations per epoch"):
        Trainer(other, resume=tmp_path / "a" / LATEST_CHECKPOINT)


@pytest.mark.parametrize("overrides, key", [
    ({"train": {"epochs": 0}}, "train.epochs"),
    ({"train": {"learning_rate": 1}}, "train.learning_rate"),
    ({"train": {"device": "tpu"}}, "train.device"),
    ({"data": {"sources": [{"type": "imagenet"}]}}, "data.sources[0].type"),
    ({"data": {"sources": []}}, "data.sources"),
    ({"train": {"loss_weights": {"cls": -1}}}, "train.loss_weights.cls")])
def test_bad_config_names_the_key(overrides, key):
    base = {"data": {"sources": [{"type": "procedural"}]}}
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        make_config(base)


def test_only_listed_backbone_layers_train_and_others_keep_their_statistics(tmp_path):
    trainer = Trainer(tiny_config(tmp_path, backbone_freeze_epochs=0,
                                  backbone_train_layers=["layer4", "layer5"]))
    before = {k: v.clone() for k, v in trainer.model.backbone.state_dict().items()}
    trainer.run(max_iterations=2)
    after = trainer.model.backbone.state_dict()
    for key in before:
        unchanged = torch.equal(before[key], after[key])
        if key.startswith(("layer1.", "layer2.", "layer3.")):
            assert unchanged, key
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("layer5."))


def test_training_can_start_from_a_siamcar_checkpoint(tmp_path):
    first = Trainer(tiny_config(tmp_path / "first", epochs=1, warmup_epochs=0, backbone_freeze_epochs=0))
    first.run()
    second = Trainer(tiny_config(tmp_path / "second",
                                 init_checkpoint=str(tmp_path / "first" / "model_final.pth")))
    assert second.iteration == 0
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the fallback without CUDA")
def test_a_cuda_training_request_without_cuda_trains_on_the_cpu_and_says_so(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="siamcar_ros.device"):
        trainer = Trainer(tiny_config(tmp_path, device="cuda"))
    assert trainer.device == torch.device("cpu")
    assert "'cuda' requested for training but CUDA is not available" in caplog.text


def test_two_runs_of_one_procedural_config_with_a_loader_worker_end_identical(tmp_path):
    """What makes scripts/train_default.sh reproducible: pairs come from (seed, epoch, index),
    the network from train.seed, so a rerun ends with the same weights."""
    def config(name):
        return make_config({
            "model": TINY_MODEL,
            "data": {"sources": [{"type": "procedural", "first_seed": 5, "pool_size": 2,
                                  "refresh_per_epoch": 1, "length": 12}],
                     "pairs_per_epoch": 4, "workers": 1},
            "train": {"epochs": 2, "batch_size": 2, "warmup_epochs": 1,
                      "backbone_freeze_epochs": 0, "threads": 1, "log_every": 1,
                      "device": "cpu", "seed": 7},
            "output": {"dir": str(tmp_path / name)}})

    runs = []
    for name in ("first", "second"):
        trainer = Trainer(config(name))
        start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        trainer.run()
        runs.append(trainer.model.state_dict())
    assert any(not torch.equal(start[k], v) for k, v in runs[1].items())   # it did train
    for name, value in runs[0].items():
        assert torch.equal(value, runs[1][name]), name


def test_the_resnet50_got10k_config_steps_on_every_source_layout(tmp_path):
    """training_configs/train_r50_got10k.yaml as shipped (paths pointed at the layout fixtures): it
    validates, opens all six sources, loads torchvision-named ImageNet weights, keeps the
    backbone frozen in its first epochs, and takes a finite optimisation step (one: a ResNet-50
    step is seconds on a CPU, and a second one shows nothing the first does not)."""
    import yaml

    from siamcar_ros.model import build_model
    from siamcar_ros.training.config import load_config, merge

    root = Path(__file__).resolve().parents[1]
    config = load_config(root / "training_configs" / "train_r50_got10k.yaml")
    for source in config["data"]["sources"]:
        source["root"] = str(FIXTURES / source["type"])
    torch.manual_seed(123)       # weights unlike the trainer's own initialisation
    imagenet = build_model(backbone="resnet50").backbone.state_dict()
    torch.save(imagenet, tmp_path / "resnet50_imagenet.pth")
    config = merge(config, {"data": {"pairs_per_epoch": 12, "workers": 0},
                            "train": {"batch_size": 2, "threads": 2, "device": "cpu",
                                      "pretrained_backbone": str(tmp_path / "resnet50_imagenet.pth"),
                                      "log_every": 1},
                            "output": {"dir": str(tmp_path / "run")}})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    trainer = Trainer(load_config(tmp_path / "config.yaml"))
    assert trainer.model.config["backbone"] == "resnet50"
    loaded = trainer.model.backbone.state_dict()
    assert all(torch.equal(loaded[key].cpu(), imagenet[key]) for key in imagenet)
    head_before = {k: v.clone() for k, v in trainer.model.car_head.state_dict().items()}
    losses = trainer.run(max_iterations=1)
    assert losses and all(math.isfinite(value) for value in losses.values())
    after = trainer.model.backbone.state_dict()
    assert all(torch.equal(after[key], imagenet[key]) for key in imagenet if key.endswith("weight"))
    assert any(not torch.equal(head_before[k], v) for k, v in trainer.model.car_head.state_dict().items())
