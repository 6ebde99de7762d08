"""Reading NanoTrack V3's published weights into the ``nanocar`` network (to start training).

The file (``nanotrackv3.pth``, Apache-2.0, from the NanoTrack folder of the SiamTrackers
repository) is a ``torch.save`` of ``{'epoch', 'state_dict', 'optimizer'}`` whose optimizer
entry holds numpy scalars. It is read with PyTorch's weights-only unpickler, which refuses
anything but tensors and plain containers; the only extra types allowed are the numpy scalar
and dtype types those entries need (data, not code). Only the ``state_dict`` tensors are used.

Names map one to one after ``ban_head.`` -> ``car_head.`` (and the ``.0`` of NanoTrack's
one-layer ``Sequential`` output convs). ``neck.*`` is left out: with 96 channels in and out,
NanoTrack's tracker never applies it. ``car_head.centerness.*`` is the one part the file
cannot give; it keeps its initial values. Every other key must be present with the model's
shape; a missing, unexpected or mis-shaped key raises one ``CheckpointError`` naming it.
"""
from __future__ import annotations

import codecs
import logging
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checkpoint import CheckpointError, _key_problems, _shape_text

logger = logging.getLogger(__name__)

NEW_KEYS_PREFIX = "car_head.centerness."
DROPPED_PREFIXES = ("neck.",)
_RENAMES = (("ban_head.", "car_head."), ("cls_logits.0.", "cls_logits."),
            ("bbox_pred.0.", "bbox_pred."), ("down_cls.0.", "down_cls."),
            ("down_reg.0.", "down_reg."))


def _numpy_data_types() -> list:
    """The numpy types a weights-only load must accept for NanoTrack's files (scalars are
    rebuilt from a dtype and raw bytes; nothing is called but those constructors)."""
    scalar = np._core.multiarray.scalar if hasattr(np, "_core") else np.core.multiarray.scalar
    dtype_types = [type(np.dtype(name)) for name in
                   ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8",
                    "bool")]
    return [(scalar, "numpy.core.multiarray.scalar"), scalar, np.dtype, codecs.encode,
            *dtype_types]


def read_nanotrack_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of a NanoTrack ``.pth`` (wrapped in ``state_dict`` or bare)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"NanoTrack weights {path} do not exist (expected the "
                              "nanotrackv3.pth file)")
    try:
        with torch.serialization.safe_globals(_numpy_data_types()):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = next((line.strip() for line in str(error).splitlines()
                       if "WeightsUnpickler error" in line), "it holds more than tensors and data")
        raise CheckpointError(f"NanoTrack weights {path} hold Python objects other than tensors "
                              f"and numpy data; refusing to load them: {reason}") from error
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as error:
        raise CheckpointError(f"NanoTrack weights {path} cannot be read: "
                              f"{str(error).splitlines()[0]}") from error
    state = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"NanoTrack weights {path} hold a {type(payload).__name__}, not a "
                              "state dict")
    tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError(f"NanoTrack weights {path} hold no tensors")
    if all(key.startswith("module.") for key in tensors):
        tensors = {key[len("module."):]: value for key, value in tensors.items()}
    return tensors


def nanocar_name(nanotrack_key: str) -> str | None:
    """Our name for a NanoTrack V3 key; None for keys the network does not use."""
    if nanotrack_key.startswith(DROPPED_PREFIXES):
        return None
    for old, new in _RENAMES:
        nanotrack_key = nanotrack_key.replace(old, new)
    return nanotrack_key


def load_nanotrack_weights(model: nn.Module, path: str | os.PathLike) -> dict[str, list[str]]:
    """Load NanoTrack V3 weights into a ``nanocar`` model (built by ``build_model``).

    Returns ``{'loaded': our keys, 'dropped': file keys not used, 'initial': our keys left at
    their initial values (the centre-ness branch)}``."""
    if (getattr(model, "config", {}) or {}).get("architecture") != "nanocar":
        raise CheckpointError(f"NanoTrack weights load into the 'nanocar' architecture only, not "
                              f"a model built with {getattr(model, 'config', None)}")
    path = Path(path)
    source = read_nanotrack_state_dict(path)
    expected = model.state_dict()
    mapped, dropped = {}, []
    for key, tensor in source.items():
        name = nanocar_name(key)
        if name is None:
            dropped.append(key)
        else:
            mapped[name] = tensor
    missing = [k for k in expected if k not in mapped and not k.startswith(NEW_KEYS_PREFIX)]
    unexpected = [k for k in mapped if k not in expected]
    misshaped = [f"{k} (file {_shape_text(mapped[k])}, model {_shape_text(expected[k])})"
                 for k in expected if k in mapped and mapped[k].shape != expected[k].shape]
    if missing or unexpected or misshaped:
        raise CheckpointError(f"NanoTrack weights {path} do not fit the nanocar network: "
                              f"{_key_problems(missing, unexpected, misshaped)} (expected the "
                              "V3 layout: MobileNetV3-Small with 96 channels, DepthwiseBAN head)")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in mapped.items()}, strict=False)
    initial = [k for k in expected if k not in mapped]
    logger.info("loaded NanoTrack weights %s: %d tensors, %d unused, %d at their initial values",
                path, len(mapped), len(dropped), len(initial))
    return {"loaded": sorted(mapped), "dropped": dropped, "initial": initial}
