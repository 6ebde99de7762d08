"""What the tracker's numbers run in, checked before anything is built: fp16 (CUDA only,
ignored with a warning elsewhere), bf16 (a CPU with the instructions) or int8 (the CPU), and
whether ``torch_tensorrt`` can be imported for the ``tensorrt`` accelerator (``accelerate.py``).
The device itself is :func:`siamcar_ros.device.select_device`, shared with loading and training.
"""
from __future__ import annotations

import importlib.util
import logging

import torch

from siamcar_ros.device import DEVICE_CHOICES, select_device

__all__ = ["select_device", "resolve_half", "resolve_precision", "tensorrt_available",
           "cpu_supports_bf16", "DEVICE_CHOICES", "PRECISIONS"]

PRECISIONS = ("fp32", "bf16", "int8")

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


def cpu_supports_bf16() -> bool:
    """True when this CPU has bfloat16 instructions PyTorch uses (AVX-512 BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: torch.device, accelerator: str,
                      exported: bool = False) -> str:
    """Check a precision choice; ValueError says what is wrong and what is allowed.

    ``bf16``: bfloat16 autocast on a CPU that has the instructions, compiled (accelerator auto
    or compile) or eager (none); maps within about 1e-2 of fp32. ``int8``: the search branch
    quantized and compiled on the CPU (accelerator auto or compile; ``quantize.py``).
    fp16 on CUDA is ``half``. ``exported``: exported network files are to run in place of the
    network; they take fp32 only.

    The order of the checks is fixed so that the same arguments get the same answer on every
    machine: first what is wrong everywhere (an unknown name, a device, accelerator or exported
    network that cannot take the precision), last what this CPU lacks.
    """
    precision = str(precision).strip().lower()
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; allowed: {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return precision
    if device.type != "cpu":
        raise ValueError(f"precision {precision!r} is for the CPU; on {device.type} use half=True (fp16)")
    allowed = ("auto", "none", "compile") if precision == "bf16" else ("auto", "compile")
    if accelerator not in allowed:
        raise ValueError(f"precision {precision!r} runs with accelerator {' or '.join(allowed)}, "
                         f"got {accelerator!r}")
    if exported:
        raise ValueError(f"exported network files run as they were exported; precision must "
                         f"be fp32 with them, got {precision!r}")
    if precision == "bf16" and not cpu_supports_bf16():
        raise ValueError("precision 'bf16' needs a CPU with bfloat16 instructions (AVX-512 BF16 "
                         "or AMX); this CPU has none: use fp32 or int8")
    return precision
