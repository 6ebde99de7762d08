"""Tracking with a SiamCAR network: crops, decoding, the tracker, presets and devices.

Quick use::

    from siamcar_ros.tracking import load_tracker
    tracker = load_tracker()                      # bundled default model, CPU or GPU
    tracker.init(first_frame, (x, y, w, h))
    result = tracker.track(next_frame)            # result.bbox, result.confidence
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from .device import resolve_half, select_device, tensorrt_available
from .inputs import TrackerInputError
from .params import PRESETS, TrackerParams
from .tracker import SiamCARTracker, TargetState, TrackerStateError, TrackResult

__all__ = ["DEFAULT_CHECKPOINT_ENV", "PRESETS", "SiamCARTracker", "TargetState", "TrackResult", "TrackerInputError",
           "TrackerParams", "TrackerStateError", "default_checkpoint_path", "load_tracker",
           "resolve_half", "select_device", "tensorrt_available"]

# Environment variable that points at another default model (e.g. an installed share/ copy).
DEFAULT_CHECKPOINT_ENV = "SIAMCAR_DEFAULT_CHECKPOINT"
_BUNDLED_CHECKPOINT = Path(__file__).resolve().parents[2] / "models" / "siamcar_default.pth"


def default_checkpoint_path() -> Path:
    """``$SIAMCAR_DEFAULT_CHECKPOINT`` if set, else the repository's ``models/siamcar_default.pth``."""
    override = os.environ.get(DEFAULT_CHECKPOINT_ENV)
    return Path(override) if override else _BUNDLED_CHECKPOINT


def load_tracker(checkpoint: str | os.PathLike | None = None, backbone: str | None = None,
                 device: str = "auto", half: bool = False,
                 params: TrackerParams | Mapping[str, Any] | str | None = None,
                 accelerator: str = "auto") -> SiamCARTracker:
    """A ready tracker: network from ``checkpoint`` (the bundled default model when None).

    ``backbone`` checks that the file holds that network (files carry their configuration;
    published ResNet-50 files are recognised from their keys). ``params``: TrackerParams, a
    dict, or a preset name ("OTB100", "GOT10K", "UAV123", "LaSOT", "default").
    """
    from siamcar_ros.model import load_checkpoint  # the network is only needed here

    path = Path(checkpoint) if checkpoint is not None else default_checkpoint_path()
    if not path.is_file():
        if checkpoint is None:
            raise FileNotFoundError(
                f"the bundled default model {path} is missing; pass checkpoint=<file> (for "
                f"example a published SiamCAR ResNet-50 .pth) or set {DEFAULT_CHECKPOINT_ENV}")
        raise FileNotFoundError(f"checkpoint file {path} does not exist")
    model = load_checkpoint(path, device="cpu")
    built = model.config.get("backbone")
    if backbone is not None and built != backbone:
        raise ValueError(f"checkpoint {path} holds a {built!r} network, not the requested "
                         f"backbone {backbone!r}; pass a checkpoint made for {backbone!r}")
    return SiamCARTracker(model, params=params, device=device, half=half, accelerator=accelerator)
