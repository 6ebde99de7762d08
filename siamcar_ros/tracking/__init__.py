"""Tracking with a SiamCAR network: crops, decoding, the tracker, presets and devices.

Quick use::

    from siamcar_ros.tracking import load_tracker
    tracker = load_tracker()                      # bundled default model, CPU or GPU
    tracker.init(first_frame, (x, y, w, h))
    result = tracker.track(next_frame)            # result.bbox, result.confidence
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from .bundled import (BUNDLED_MODELS, BUNDLED_VERIFIER, DEFAULT_CHECKPOINT_ENV, default_checkpoint_path,
                      resolve_checkpoint, resolve_verifier)
from .precision import resolve_half, select_device, tensorrt_available
from .inputs import TrackerInputError
from .params import PRESETS, TrackerParams
from .tracker import SiamCARTracker, TargetGeometry, TrackerStateError, TrackResult

__all__ = ["BUNDLED_MODELS", "BUNDLED_VERIFIER", "DEFAULT_CHECKPOINT_ENV", "PRESETS", "SiamCARTracker",
           "TargetGeometry", "TrackResult", "TrackerInputError",
           "TrackerParams", "TrackerStateError", "default_checkpoint_path", "load_tracker",
           "resolve_half", "resolve_checkpoint", "resolve_verifier", "select_device", "tensorrt_available"]

def load_tracker(checkpoint: str | os.PathLike | None = None, backbone: str | None = None,
                 device: str = "auto", half: bool = False,
                 params: TrackerParams | Mapping[str, Any] | str | None = None,
                 accelerator: str = "auto", precision: str = "fp32",
                 exported: str | os.PathLike | None = None,
                 verifier: str | os.PathLike | None = "auto", calibration=None) -> SiamCARTracker:
    """A ready tracker: network from ``checkpoint``: a file, a bundled model's name
    (``"default"``, ``"fast"``: ``BUNDLED_MODELS``) or None (the default model).

    ``backbone`` checks that the file holds that network (files carry their configuration;
    published ResNet-50 files are recognised from their keys). ``params``: TrackerParams, a
    dict, or a preset name ("OTB100", "GOT10K", "UAV123", "LaSOT", "default").
    ``precision``, ``calibration``, ``accelerator``, ``exported``: see ``SiamCARTracker`` (bf16
    and int8 need ``calibration``, e.g. ``siamcar_ros.data.procedural.calibration.
    calibration_crops``, a function of the search size). ``verifier``: the
    box verifier file whose answer joins the confidence (``resolve_verifier``: "auto" takes
    the bundled one; None for none); a file that is not a verifier's is a ``VerifierError``.
    """
    from siamcar_ros.model import load_checkpoint  # the network is only needed here

    path = resolve_checkpoint(checkpoint)
    if not path.is_file():
        if checkpoint is None or str(checkpoint) in BUNDLED_MODELS:
            raise FileNotFoundError(
                f"the bundled {checkpoint or 'default'} model {path} is missing; pass checkpoint=<file> (for "
                f"example a published SiamCAR ResNet-50 .pth) or set {DEFAULT_CHECKPOINT_ENV}")
        if path.is_dir():
            raise FileNotFoundError(f"checkpoint {path} is a directory; give the .pth file in it")
        raise FileNotFoundError(f"checkpoint file {path} does not exist")
    model = load_checkpoint(path, device="cpu")
    built = model.config.get("backbone")
    if backbone is not None and built != backbone:
        raise ValueError(f"checkpoint {path} holds a {built!r} network, not the requested "
                         f"backbone {backbone!r}; pass a checkpoint made for {backbone!r}")
    from .verifier import load_verifier

    verifier_path = resolve_verifier(verifier, path)
    return SiamCARTracker(model, params=params, device=device, half=half, accelerator=accelerator,
                          precision=precision, calibration=calibration, exported=exported,
                          verifier=load_verifier(verifier_path) if verifier_path else None)
