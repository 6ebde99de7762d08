"""Choosing where the tracker runs: ``"auto" | "cpu" | "cuda" | "cuda:N"``, fp16, TensorRT.

A missing or out-of-range GPU never stops tracking: the CPU is used and a warning logged.
fp16 is a CUDA-only option (ignored with a warning on the CPU, where it would be slower).

TensorRT: :func:`tensorrt_available` tells whether ``torch_tensorrt`` can be imported. The
tracker does not compile the network with it; this is the hook where such a backend would be
selected, kept honest by not pretending to do more.
"""
from __future__ import annotations

import importlib.util
import logging
import re

import torch

__all__ = ["select_device", "resolve_half", "tensorrt_available", "DEVICE_CHOICES"]

LOGGER = logging.getLogger(__name__)

DEVICE_CHOICES = '"auto", "cpu", "cuda" or "cuda:N" (N a GPU index)'
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda)(?::(\d+))?$")


def select_device(spec: str | torch.device | None = "auto") -> torch.device:
    """The torch device for ``spec``; falls back to the CPU (with a warning) when CUDA is absent."""
    if isinstance(spec, torch.device):
        spec = str(spec)
    spec = "auto" if spec is None else str(spec).strip().lower()
    match = _DEVICE_PATTERN.match(spec)
    if match is None or (match.group(1) != "cuda" and match.group(2) is not None):
        raise ValueError(f"unknown device {spec!r}; allowed: {DEVICE_CHOICES}")
    kind, index = match.group(1), match.group(2)
    if kind == "cpu":
        return torch.device("cpu")
    cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if kind == "auto":
        if cuda_count:
            return torch.device("cuda:0")
        LOGGER.info("no CUDA device found; tracking on the CPU")
        return torch.device("cpu")
    gpu = int(index or 0)
    if cuda_count == 0:
        LOGGER.warning("device %r requested but CUDA is not available; using the CPU", spec)
        return torch.device("cpu")
    if gpu >= cuda_count:
        LOGGER.warning("device %r requested but only %d CUDA device(s) exist; using the CPU",
                       spec, cuda_count)
        return torch.device("cpu")
    return torch.device(f"cuda:{gpu}")


def resolve_half(half: bool, device: torch.device) -> bool:
    """Whether to run in fp16: only on CUDA; on other devices warn and use fp32."""
    if half and device.type != "cuda":
        LOGGER.warning("fp16 (half) is only used on CUDA; running in fp32 on %s", device)
        return False
    return bool(half)


def tensorrt_available() -> bool:
    """True when ``torch_tensorrt`` is importable (no TensorRT backend is wired in yet)."""
    return importlib.util.find_spec("torch_tensorrt") is not None
