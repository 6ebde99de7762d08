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
from .tracker import SiamCARTracker, TargetGeometry, TrackerStateError, TrackResult

__all__ = ["BUNDLED_MODELS", "BUNDLED_VERIFIER", "DEFAULT_CHECKPOINT_ENV", "PRESETS", "SiamCARTracker",
           "TargetGeometry", "TrackResult", "TrackerInputError",
           "TrackerParams", "TrackerStateError", "default_checkpoint_path", "load_tracker",
           "resolve_half", "resolve_checkpoint", "resolve_verifier", "select_device", "tensorrt_available"]

# Environment variable that points at another default model (e.g. an installed share/ copy).
DEFAULT_CHECKPOINT_ENV = "SIAMCAR_DEFAULT_CHECKPOINT"
_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
# Bundled models by name: ``default`` (the nanocar network: NanoTrack V3's trained weights with
# SiamCAR's centre-ness branch; the one that tracks real video) and ``fast`` (a narrow AlexNet
# trained from scratch on procedural pictures: small, weaker on real footage).
BUNDLED_MODELS = {"default": _MODELS_DIR / "siamcar_default.pth",
                  "fast": _MODELS_DIR / "siamcar_fast.pth"}
_BUNDLED_CHECKPOINT = BUNDLED_MODELS["default"]
# The box verifier (verifier.py): it reads pixels only, so it serves every network.
VERIFIER_FILE_NAME = "siamcar_verifier.pth"
BUNDLED_VERIFIER = _MODELS_DIR / VERIFIER_FILE_NAME


def default_checkpoint_path() -> Path:
    """``$SIAMCAR_DEFAULT_CHECKPOINT`` if set, else the repository's ``models/siamcar_default.pth``."""
    override = os.environ.get(DEFAULT_CHECKPOINT_ENV)
    return Path(override) if override else _BUNDLED_CHECKPOINT


def resolve_checkpoint(checkpoint: str | os.PathLike | None) -> Path:
    """A checkpoint path from a bundled model name (``default``, ``fast``), a path, or None
    (the default model). A name is taken only when no file of that name exists."""
    if checkpoint is None or str(checkpoint) in ("", "default"):
        return default_checkpoint_path()
    if str(checkpoint) in BUNDLED_MODELS and not Path(checkpoint).exists():
        return BUNDLED_MODELS[str(checkpoint)]
    return Path(checkpoint)


def resolve_verifier(verifier: str | os.PathLike | None, checkpoint: Path) -> Path | None:
    """The verifier file to use: ``"auto"``: a ``siamcar_verifier.pth`` beside the checkpoint
    (the node's installed models/), else the bundled one, else none; ``None`` or ``"none"``:
    none; otherwise the path given."""
    if verifier is None or str(verifier) == "none":
        return None
    if str(verifier) == "auto":
        for candidate in (Path(checkpoint).parent / VERIFIER_FILE_NAME, BUNDLED_VERIFIER):
            if candidate.is_file():
                return candidate
        return None
    return Path(verifier)


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
