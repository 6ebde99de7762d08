"""Compiled search-branch feature extractors: TensorRT on CUDA where installed, ONNX Runtime on
the CPU, torch.export anywhere.

The search crop's backbone + neck is nearly all of a frame's work and its input shape never
changes (1 x 3 x 255 x 255), so it is the part worth compiling; the template branch (run once
per init) and the cross-correlation head (its template changes per target) stay eager.

``accelerator`` values:

- ``"none"``: eager PyTorch.
- ``"export"``: the extractor captured as one ``torch.export`` graph (any device; no Python
  module dispatch per layer, and the graph TensorRT's own front end starts from).
- ``"tensorrt"``: ``torch_tensorrt.compile`` (CUDA only, fp16 when the tracker runs in half).
- ``"onnxruntime"``: the branch exported to ONNX in memory and run by an ONNX Runtime session
  (CPU; fp32). Depth-wise convolutions, MobileNetV2's main cost, run about 3x faster there
  than in eager PyTorch on these CPUs (``benchmarks/bench_accelerator.py``).
- ``"auto"``: TensorRT when on CUDA and ``torch_tensorrt`` imports; ONNX Runtime on the CPU
  when ``onnxruntime`` imports; else eager.

Nothing here may stop tracking: an accelerator that is unavailable, fails to compile, or
whose output differs from the eager network is replaced by eager PyTorch, with a warning
that says why (info for ``auto``, which promises nothing).
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .device import tensorrt_available

__all__ = ["ACCELERATORS", "Acceleration", "build_search_extractor"]

LOGGER = logging.getLogger(__name__)

ACCELERATORS = ("auto", "none", "export", "tensorrt", "onnxruntime")


class _SearchBranch(nn.Module):
    """The model's search-crop features (``search_features``) as a module returning a tuple,
    the form torch.export and TensorRT take."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        return tuple(self.model.search_features(x))


@dataclass(frozen=True)
class Acceleration:
    """The extractor in use (None = eager) and a one-line account of how it was chosen."""

    kind: str
    extractor: Callable | None
    note: str


def _check_accelerator(name: str) -> str:
    name = str(name).strip().lower()
    if name not in ACCELERATORS:
        raise ValueError(f"unknown accelerator {name!r}; allowed: {', '.join(ACCELERATORS)}")
    return name


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


class OnnxRuntimeExtractor:
    """The search branch as an ONNX Runtime session on the CPU: tensor in, list of tensors out.
    It uses as many threads as torch does when it is built (one per worker in evaluation)."""

    def __init__(self, branch: nn.Module, example: torch.Tensor):
        import io

        import onnxruntime

        from siamcar_ros.model.onnx_export import export_module

        buffer = io.BytesIO()
        export_module(branch, (example,), buffer, ["search"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, torch.get_num_threads())
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # no busy-waiting between operators: on a robot's shared CPU a spinning pool steals
        # the cores other processes (and the camera driver) need, and stalls when they hold them
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(buffer.getvalue(), options,
                                                    providers=["CPUExecutionProvider"])

    def __call__(self, search: torch.Tensor) -> list[torch.Tensor]:
        array = np.ascontiguousarray(search.detach().cpu().numpy(), dtype=np.float32)
        return [torch.from_numpy(out) for out in self.session.run(None, {"search": array})]


def _compile(kind: str, branch: nn.Module, example: torch.Tensor, half: bool):
    if kind == "onnxruntime":
        return OnnxRuntimeExtractor(branch, example)
    if kind == "export":
        # static shapes: the neck's size tests are specialised, right as the crop never changes
        return torch.export.export(branch, (example,)).module()
    import torch_tensorrt  # only reached on CUDA with the package installed

    precision = torch.half if half else torch.float
    return torch_tensorrt.compile(branch, ir="dynamo", inputs=[example],
                                  enabled_precisions={precision})


def _largest_difference(compiled, branch: nn.Module, example: torch.Tensor) -> float:
    expected = branch(example)
    produced = tuple(compiled(example))
    if len(produced) != len(expected):
        return float("inf")
    worst = 0.0
    for a, b in zip(produced, expected):
        if a.shape != b.shape:
            return float("inf")
        scale = float(b.float().abs().max()) or 1.0
        worst = max(worst, float((a.float() - b.float()).abs().max()) / scale)
    return worst


def build_search_extractor(model: nn.Module, accelerator: str, device: torch.device,
                           half: bool = False) -> Acceleration:
    """Compile the search branch of ``model`` (already on ``device``, in eval mode) as asked.

    Raises ValueError only for an unknown accelerator name; every other problem falls back to
    eager PyTorch with a warning.
    """
    requested = _check_accelerator(accelerator)
    kind = requested
    if requested == "auto":
        kind = _automatic_choice(device)
        if kind == "none":
            return Acceleration("none", None, "eager PyTorch (auto: no TensorRT or ONNX Runtime "
                                              f"for {device.type})")
    if kind == "none":
        return Acceleration("none", None, "eager PyTorch")
    if kind == "tensorrt":
        reason = None
        if device.type != "cuda":
            reason = f"TensorRT needs a CUDA device, tracking runs on {device}"
        elif not tensorrt_available():
            reason = "torch_tensorrt is not installed"
        if reason:
            return _fallback(requested, f"accelerator 'tensorrt' unavailable ({reason})")
    if kind == "onnxruntime":
        reason = None
        if device.type != "cpu" or half:
            reason = f"it runs the fp32 network on the CPU, tracking runs on {device}" + (
                " in half precision" if half else "")
        elif not onnxruntime_available():
            reason = "onnxruntime is not installed"
        if reason:
            return _fallback(requested, f"accelerator 'onnxruntime' unavailable ({reason})")
    size = int(model.search_size)
    dtype = torch.half if half else torch.float
    example = torch.rand(1, 3, size, size, device=device, dtype=dtype) * 255
    branch = _SearchBranch(model).eval()
    try:
        with torch.no_grad():
            compiled = _compile(kind, branch, example, half)
            difference = _largest_difference(compiled, branch, example)
    except Exception as error:  # a failed compile must not stop tracking
        return _fallback(requested, f"accelerator {kind!r} failed to compile the search branch: "
                                    f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    tolerance = 2e-2 if half else 1e-3
    if not difference <= tolerance:
        return _fallback(requested, f"accelerator {kind!r} output differs from eager PyTorch by "
                                    f"{difference:.2e} (relative; allowed {tolerance:.0e})")
    note = f"{kind} search branch on {device} (max relative difference {difference:.1e})"
    LOGGER.info(note)
    return Acceleration(kind, compiled, note)


def _automatic_choice(device: torch.device) -> str:
    if device.type == "cuda" and tensorrt_available():
        return "tensorrt"
    if device.type == "cpu" and onnxruntime_available():
        return "onnxruntime"
    return "none"


def _fallback(requested: str, reason: str) -> Acceleration:
    note = f"{reason}; using eager PyTorch"
    (LOGGER.info if requested == "auto" else LOGGER.warning)(note)
    return Acceleration("none", None, note)
