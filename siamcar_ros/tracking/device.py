"""Choosing where the tracker runs: the device (:func:`siamcar_ros.device.select_device`,
shared with loading and training), fp16, TensorRT.

A missing or out-of-range GPU never stops tracking: the CPU is used and a warning logged.
fp16 is a CUDA-only option (ignored with a warning on the CPU, where it would be slower).

TensorRT: :func:`tensorrt_available` tells whether ``torch_tensorrt`` can be imported. The
tracker does not compile the network with it; this is the hook where such a backend would be
selected, kept honest by not pretending to do more.
"""
from __future__ import annotations

import importlib.util
import logging

import torch

from siamcar_ros.device import DEVICE_CHOICES, select_device

__all__ = ["select_device", "resolve_half", "tensorrt_available", "DEVICE_CHOICES"]

LOGGER = logging.getLogger(__name__)


def resolve_half(half: bool, device: torch.device) -> bool:
    """Whether to run in fp16: only on CUDA; on other devices warn and use fp32."""
    if half and device.type != "cuda":
        LOGGER.warning("fp16 (half) is only used on CUDA; running in fp32 on %s", device)
        return False
    return bool(half)


def tensorrt_available() -> bool:
    """True when ``torch_tensorrt`` is importable (no TensorRT backend is wired in yet)."""
    return importlib.util.find_spec("torch_tensorrt") is not None
