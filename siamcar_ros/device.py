"""The one place that turns a device name into a torch device, for loading, tracking and
training alike: ``"auto" | "cpu" | "cuda" | "cuda:N"``.

A missing or out-of-range GPU never stops the caller: the CPU is used and a warning logged
that names what was asked for and what is used instead.
"""
from __future__ import annotations

import logging
import re

import torch

__all__ = ["select_device", "DEVICE_CHOICES"]

LOGGER = logging.getLogger(__name__)

DEVICE_CHOICES = '"auto", "cpu", "cuda" or "cuda:N" (N a GPU index)'
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda)(?::(\d+))?$")


def select_device(spec: str | torch.device | None = "auto", *, index: int = 0,
                  purpose: str = "tracking") -> torch.device:
    """The torch device for ``spec``.

    ``index`` is the GPU that "auto" and a bare "cuda" mean (a distributed rank's local GPU);
    "cuda:N" names its GPU itself. ``purpose`` ("tracking", "training", "loading") only
    words the log messages. Without a usable GPU the CPU is returned, with a warning when a
    GPU was asked for explicitly and an info message for "auto".
    """
    if isinstance(spec, torch.device):
        spec = str(spec)
    spec = "auto" if spec is None else str(spec).strip().lower()
    match = _DEVICE_PATTERN.match(spec)
    if match is None or (match.group(1) != "cuda" and match.group(2) is not None):
        raise ValueError(f"unknown device {spec!r}; allowed: {DEVICE_CHOICES}")
    kind, named = match.group(1), match.group(2)
    if kind == "cpu":
        return torch.device("cpu")
    cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    gpu = int(named) if named is not None else int(index)
    if kind == "auto":
        if cuda_count > gpu:
            return torch.device(f"cuda:{gpu}")
        LOGGER.info("no CUDA device %sfound; %s on the CPU", f"{gpu} " if gpu else "", purpose)
        return torch.device("cpu")
    if cuda_count == 0:
        LOGGER.warning("device %r requested for %s but CUDA is not available; using the CPU",
                       spec, purpose)
        return torch.device("cpu")
    if gpu >= cuda_count:
        LOGGER.warning("device %r (GPU %d) requested for %s but only %d CUDA device(s) exist; "
                       "using the CPU", spec, gpu, purpose, cuda_count)
        return torch.device("cpu")
    return torch.device(f"cuda:{gpu}")
