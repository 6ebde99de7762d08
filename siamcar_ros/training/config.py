"""Training configuration: one YAML file, merged over defaults and validated once here.

Sections: `model` (keyword arguments of siamcar_ros.model.build_model), `data` (sources,
pair sampling and augmentation), `train` (optimiser, schedule, loss weights, devices) and
`output` (where checkpoints and the CSV log go).
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

DEFAULTS = {
    "model": {"backbone": "resnet50"},
    "data": {
        "sources": [],
        "pairs_per_epoch": 20000,
        "workers": 1,
        "cell_offset": None,          # None: the model's own cell offset (as the tracker uses)
        "sampling": {
            "frame_range": 100,
            "negative_probability": 0.2,
            "displaced_probability": 0.0,
            "displaced_shift": 255.0,
            "distractor_probability": 0.0,
            "positive_fraction": 0.6,
            "template_shift": 4.0,
            "template_scale": 0.05,
            "search_shift": 64.0,
            "search_scale": 0.18,
            "template_blur": 0.0,
            "search_blur": 0.2,
            "color": 1.0,
            "color_strength": 0.1,
            "illumination": 0.0,
            "illumination_strength": 0.4,
            "grayscale": 0.0,
            "flip": 0.0,
            "min_box_size": 2.0,
        },
    },
    "train": {
        "epochs": 20,
        "batch_size": 32,
        "base_lr": 0.005,
        "warmup_epochs": 5,
        "warmup_start_lr": 0.001,
        "end_lr": 0.0005,
        "momentum": 0.9,
        "weight_decay": 0.0001,
        "backbone_freeze_epochs": 10,
        "backbone_lr_mult": 0.1,
        "backbone_train_layers": None,   # None: every backbone layer once unfrozen
        "pretrained_backbone": None,     # ImageNet weights file (or pkg:<package>/<file>) or None
        "pretrained_input_normalization": None,   # "imagenet_rgb": fold RGB mean/std into conv 1
        "backbone_bn_frozen": False,     # backbone batch norms keep their loaded statistics
        "init_checkpoint": None,         # a SiamCAR checkpoint to start from, or None
        "init_nanotrack": None,          # NanoTrack V3 weights (.pth) for a nanocar model, or None
        "head_train_layers": None,       # None: every non-backbone layer; else name prefixes
        "head_bn_frozen": False,         # non-backbone batch norms keep their loaded statistics
        "grad_clip": 10.0,
        "loss_weights": {"cls": 1.0, "cen": 1.0, "loc": 3.0},
        "seed": 0,
        "device": "auto",
        "threads": 0,                    # 0: leave torch's default
        "checkpoint_minutes": 10.0,
        "log_every": 10,
    },
    "output": {"dir": "runs/train"},
}

SOURCE_TYPES = ("procedural", "got10k", "lasot", "coco", "imagenet_vid", "imagenet_det", "youtube_bb")


class ConfigError(ValueError):
    """A training configuration key is unknown or holds a value out of range."""


def merge(defaults: dict, overrides: dict, where: str = "") -> dict:
    """defaults updated by overrides, recursively; unknown keys are an error."""
    merged = copy.deepcopy(defaults)
    for key, value in (overrides or {}).items():
        path = f"{where}.{key}" if where else key
        if key not in defaults and where != "model":
            raise ConfigError(f"unknown configuration key {path!r}; allowed here: "
                              f"{sorted(defaults)}")
        if isinstance(defaults.get(key), dict) and isinstance(value, dict) and where != "model":
            merged[key] = merge(defaults[key], value, path)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"training config {str(path)!r} does not exist")
    with open(path, encoding="utf-8") as stream:
        loaded = yaml.safe_load(stream) or {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"training config {str(path)!r} must be a mapping of sections "
                          f"{sorted(DEFAULTS)}")
    return make_config(loaded)


def make_config(overrides: dict) -> dict:
    """Defaults merged with overrides, validated."""
    config = merge(DEFAULTS, overrides)
    validate(config)
    return config


def _require(condition: bool, key: str, value, allowed: str):
    if not condition:
        raise ConfigError(f"configuration key {key!r} = {value!r} is invalid; allowed: {allowed}")


def validate(config: dict) -> None:
    train, data = config["train"], config["data"]
    for key in ("epochs", "batch_size"):
        _require(isinstance(train[key], int) and train[key] >= 1, f"train.{key}", train[key],
                 "an integer >= 1")
    for key in ("base_lr", "warmup_start_lr", "end_lr"):
        _require(float(train[key]) > 0, f"train.{key}", train[key], "a number > 0")
    _require(0 <= float(train["warmup_epochs"]) < train["epochs"] or float(train["warmup_epochs"]) == 0,
             "train.warmup_epochs", train["warmup_epochs"], "0 <= warmup_epochs < epochs")
    _require(0 <= int(train["backbone_freeze_epochs"]), "train.backbone_freeze_epochs",
             train["backbone_freeze_epochs"], "an integer >= 0")
    _require(float(train["backbone_lr_mult"]) >= 0, "train.backbone_lr_mult",
             train["backbone_lr_mult"], "a number >= 0")
    _require(train["pretrained_input_normalization"] in (None, "imagenet_rgb"),
             "train.pretrained_input_normalization", train["pretrained_input_normalization"],
             "null or imagenet_rgb")
    _require(isinstance(train["backbone_bn_frozen"], bool), "train.backbone_bn_frozen",
             train["backbone_bn_frozen"], "true or false")
    _require(isinstance(train["head_bn_frozen"], bool), "train.head_bn_frozen",
             train["head_bn_frozen"], "true or false")
    layers = train["head_train_layers"]
    _require(layers is None or (isinstance(layers, list) and layers
                                and all(isinstance(v, str) and v for v in layers)),
             "train.head_train_layers", layers, "null or a non-empty list of parameter-name "
             "prefixes such as car_head.centerness")
    _require(train["init_nanotrack"] is None or config["model"].get("architecture") == "nanocar",
             "train.init_nanotrack", train["init_nanotrack"],
             "null unless model.architecture is nanocar")
    _require(0 <= float(train["momentum"]) < 1, "train.momentum", train["momentum"], "0 <= m < 1")
    _require(str(train["device"]) in ("auto", "cpu", "cuda") or str(train["device"]).startswith("cuda:"),
             "train.device", train["device"], "auto, cpu, cuda or cuda:N")
    for key, value in train["loss_weights"].items():
        _require(key in ("cls", "cen", "loc") and float(value) >= 0, f"train.loss_weights.{key}",
                 value, "keys cls, cen, loc with values >= 0")
    _require(isinstance(data["pairs_per_epoch"], int) and data["pairs_per_epoch"] >= train["batch_size"],
             "data.pairs_per_epoch", data["pairs_per_epoch"], "an integer >= train.batch_size")
    _require(isinstance(data["workers"], int) and data["workers"] >= 0, "data.workers",
             data["workers"], "an integer >= 0")
    _require(isinstance(data["sources"], list) and len(data["sources"]) > 0, "data.sources",
             data["sources"], f"a non-empty list of sources, each with a type in {SOURCE_TYPES}")
    for number, source in enumerate(data["sources"]):
        _require(isinstance(source, dict) and source.get("type") in SOURCE_TYPES,
                 f"data.sources[{number}].type", source if not isinstance(source, dict)
                 else source.get("type"), f"one of {SOURCE_TYPES}")
        if source["type"] != "procedural":
            _require(bool(source.get("root")), f"data.sources[{number}].root", source.get("root"),
                     "the dataset's root directory")
