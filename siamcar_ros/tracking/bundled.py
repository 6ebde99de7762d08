"""The bundled models and box verifier, found by name: beside the package in a source checkout,
else in the installed ROS package's share/ folder; ``$SIAMCAR_DEFAULT_CHECKPOINT`` names
another default model."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["BUNDLED_MODELS", "BUNDLED_VERIFIER", "DEFAULT_CHECKPOINT_ENV", "default_checkpoint_path",
           "installed_copy", "resolve_checkpoint", "resolve_verifier"]

# Environment variable that names another default model file.
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


def installed_copy(path: Path) -> Path | None:
    """The copy of a bundled file in an installed ROS package's share/siamcar_ros/models (found
    on ``AMENT_PREFIX_PATH``, as after a colcon install), or None."""
    for prefix in filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)):
        candidate = Path(prefix) / "share" / "siamcar_ros" / "models" / path.name
        if candidate.is_file():
            return candidate
    return None


def resolve_checkpoint(checkpoint: str | os.PathLike | None) -> Path:
    """A checkpoint path from a bundled model name (``default``, ``fast``), a path, or None
    (the default model). A name is taken only when no file of that name exists; a bundled
    model missing beside the package is taken from the installed share/ folder when there."""
    if checkpoint is None or str(checkpoint) in ("", "default"):
        if os.environ.get(DEFAULT_CHECKPOINT_ENV):
            return default_checkpoint_path()
        path = BUNDLED_MODELS["default"]
    elif str(checkpoint) in BUNDLED_MODELS and not Path(checkpoint).exists():
        path = BUNDLED_MODELS[str(checkpoint)]
    else:
        return Path(checkpoint)
    return path if path.is_file() else (installed_copy(path) or path)


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
