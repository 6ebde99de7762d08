"""Compiled networks for the tracking step: the whole step in one ONNX Runtime graph on the CPU
(the default), or the search branch compiled by TensorRT on CUDA or by torch.export anywhere.

A frame's network input never changes shape (a 1 x 3 x 255 x 255 search crop, template
features fixed per target), so it is worth compiling. ONNX Runtime takes the whole step:
search branch, correlation and head in one graph with the template features as inputs
(``step_graph.py``); the other accelerators compile the search branch (backbone + neck) and
leave the correlation and head eager. The template branch runs once per init and stays eager.

``accelerator`` values:

- ``"none"``: eager PyTorch.
- ``"export"``: the extractor captured as one ``torch.export`` graph (any device; no Python
  module dispatch per layer, and the graph TensorRT's own front end starts from).
- ``"tensorrt"``: ``torch_tensorrt.compile`` (CUDA only, fp16 when the tracker runs in half).
- ``"onnxruntime"``: the whole step (search branch, correlation, head and the softmax the
  tracker reads) exported to ONNX in memory and run by one ONNX Runtime session (CPU; fp32).
  Depth-wise convolutions and the head's small layers run several times faster there than in
  eager PyTorch on these CPUs (``benchmarks/bench_accelerator.py``). ONNX Runtime's own static
  int8 of this graph was slower than its fp32 here and moved the maps by up to half their
  range, so int8 is the ``compile`` path's (docs/benchmarks.md).
- ``"onnxruntime"`` on CUDA: the same graph with ONNX Runtime's CUDA execution provider where
  the installed build has it (``onnxruntime-gpu``).
- ``"compile"``: ``torch.compile`` (inductor, weights frozen into the graph) of the exported
  branch; the path of the reduced precisions on the CPU: bf16 and int8 (``quantize.py``).
  ResNet-50's network here, one thread: x0.36 of eager fp32 in bf16, x0.22 in int8
  (``benchmarks/bench_accelerator.py``). Needs a C++ compiler at run time (falls back without
  one); compiling takes seconds.
- ``"auto"``: TensorRT when on CUDA and ``torch_tensorrt`` imports; on the CPU ``compile`` for
  bf16 and int8, ONNX Runtime for fp32 when ``onnxruntime`` imports; else eager.

Nothing here may stop tracking: an accelerator that is unavailable, fails to compile, or
whose output differs from the eager network is replaced by eager PyTorch, with a warning
that says why (info for ``auto``, which promises nothing).
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .precision import tensorrt_available

__all__ = ["ACCELERATORS", "Acceleration", "build_search_extractor"]

LOGGER = logging.getLogger(__name__)

ACCELERATORS = ("auto", "none", "export", "tensorrt", "onnxruntime", "compile")
# relative difference to eager fp32 an accelerated branch may show, per precision
# (reduced precisions: loose, to catch a broken build; their fidelity is measured on the
# benchmark, see docs/deployment.md)
TOLERANCES = {"fp32": 1e-3, "half": 2e-2, "bf16": 2.5e-1, "int8": 5e-1}


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
    """What runs the network: ``step`` (the whole step's graph: crop and template features ->
    the 6 x S x S maps, ``step_graph.py``), else ``extractor`` (the compiled search branch;
    None for both = eager), and a one-line account of how it was chosen."""

    kind: str
    extractor: Callable | None
    note: str
    step: Callable | None = None


def _check_accelerator(name: str) -> str:
    name = str(name).strip().lower()
    if name not in ACCELERATORS:
        raise ValueError(f"unknown accelerator {name!r}; allowed: {', '.join(ACCELERATORS)}")
    return name


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def onnxruntime_providers(device: torch.device) -> list[str]:
    """The ONNX Runtime execution providers for ``device``; RuntimeError when the installed
    build has none for it (CUDA needs the onnxruntime-gpu build)."""
    import onnxruntime

    if device.type == "cpu":
        return ["CPUExecutionProvider"]
    available = onnxruntime.get_available_providers()
    if device.type == "cuda" and "CUDAExecutionProvider" in available:
        options = {"device_id": device.index or 0}
        return [("CUDAExecutionProvider", options), "CPUExecutionProvider"]
    raise RuntimeError(f"this onnxruntime build has no execution provider for {device.type} "
                       f"(it has {', '.join(available)}; CUDA needs onnxruntime-gpu)")


def onnxruntime_session_options():
    """Session options of every ONNX Runtime session here: as many threads as torch uses when
    the session is built (one per worker in evaluation), quiet, and no busy-waiting between
    operators: on a robot's shared CPU a spinning pool steals the cores other processes (and
    the camera driver) need, and stalls when they hold them."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, torch.get_num_threads())
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class CompiledExtractor:
    """An inductor-compiled graph of the branch.

    Weights are frozen into the graph (constant-folded, prepacked for oneDNN): in fp32 about
    1.6x faster than eager here, and what int8 kernels need. Inductor reads ``freezing`` from its global
    config when it compiles (on the first call, or a recompile), not from ``torch.compile``'s
    options, so each call sets it for its own duration only."""

    def __init__(self, graph: nn.Module):
        self.compiled = torch.compile(graph)

    def __call__(self, search: torch.Tensor):
        import torch._inductor.config as inductor_config

        with inductor_config.patch(freezing=True):
            return [out.float() for out in self.compiled(search)]


class EagerBF16Extractor:
    """The bfloat16 branch (``quantize.bf16_branch``) in eager PyTorch."""

    def __init__(self, branch: nn.Module):
        self.branch = branch

    def __call__(self, search: torch.Tensor):
        return list(self.branch(search))


def _calibration(model: nn.Module, device: torch.device, precision: str,
                 calibration) -> list[torch.Tensor]:
    """The caller's search crops on ``device``: ``calibration`` itself, or what it returns for the
    network's search size when it is a function. QuantizationError when there are none."""
    from .quantize import CALIBRATION_HINT, QuantizationError

    if calibration is None:
        raise QuantizationError(f"precision {precision!r} needs calibration crops to set its ranges "
                                f"and check its error; none were given: pass calibration= "
                                f"{CALIBRATION_HINT}")
    crops = list(calibration(int(model.search_size)) if callable(calibration) else calibration)
    if not crops:
        raise QuantizationError("a reduced precision needs calibration crops to set its ranges and "
                                f"check its error; an empty set was given (calibration: {CALIBRATION_HINT})")
    return [crop.to(device) for crop in crops]


def _graph(branch: nn.Module, example: torch.Tensor) -> nn.Module:
    """The branch as one ``torch.export`` graph module (static shapes: the neck's size tests
    are specialised, right as the crop never changes). A graph module per tracker has its own
    code object, so trackers built one after another do not share (and run out of) dynamo's
    recompilation budget when it is compiled."""
    return torch.export.export(branch, (example,)).module()


def _reduced_precision(branch: nn.Module, precision: str, crops: list[torch.Tensor]) -> nn.Module:
    """The bf16 branch, or the int8 graph (the layers bf16 keeps in fp32 left unquantized)."""
    from .quantize import bf16_branch, quantize_branch

    reduced = bf16_branch(branch, crops[:3])
    if precision == "int8":
        return quantize_branch(branch, crops, reduced.kept)
    return _graph(reduced, crops[0])


def _compile(kind: str, branch: nn.Module, example: torch.Tensor, half: bool,
             precision: str = "fp32", calibration=None):
    if kind == "compile":
        if precision == "fp32":
            return CompiledExtractor(_graph(branch, example))
        return CompiledExtractor(_reduced_precision(branch, precision, calibration))
    if kind == "export":
        return _graph(branch, example)
    import torch_tensorrt  # only reached on CUDA with the package installed

    precision = torch.half if half else torch.float
    return torch_tensorrt.compile(branch, ir="dynamo", inputs=[example],
                                  enabled_precisions={precision})


def largest_relative_difference(produced, expected) -> float:
    """The largest absolute difference of paired tensors, relative to each expected tensor's
    largest magnitude; inf when the counts or a pair's shapes differ."""
    produced, expected = list(produced), list(expected)
    if len(produced) != len(expected):
        return float("inf")
    worst = 0.0
    for a, b in zip(produced, expected):
        if a.shape != b.shape:
            return float("inf")
        a, b = a.float().cpu(), b.float().cpu()
        scale = float(b.abs().max()) or 1.0
        worst = max(worst, float((a - b).abs().max()) / scale)
    return worst


def _largest_difference(compiled, branch: nn.Module, example: torch.Tensor) -> float:
    return largest_relative_difference(compiled(example), branch(example))


def build_search_extractor(model: nn.Module, accelerator: str, device: torch.device,
                           half: bool = False, precision: str = "fp32",
                           calibration=None) -> Acceleration:
    """Compile the search branch of ``model`` (already on ``device``, in eval mode) as asked.

    ``precision`` (checked by ``resolve_precision``): bf16 and int8 take the ``compile`` path,
    set up and checked on ``calibration``: 1 x 3 x S x S search crops, or a function of the
    search size S that returns them (unused in fp32).
    Raises ValueError for an unknown accelerator name and QuantizationError for a reduced
    precision without calibration crops (None or empty); every other problem falls back to
    eager PyTorch with a warning (fp32 for int8, the bf16 branch in eager PyTorch for bf16).
    """
    if precision != "fp32":
        calibration = _calibration(model, device, precision, calibration)
    acceleration = _build(model, accelerator, device, half, precision, calibration)
    if precision == "bf16" and acceleration.extractor is None:
        from .quantize import bf16_branch

        with torch.no_grad():
            branch = bf16_branch(_SearchBranch(model).eval(), calibration[:3])
        note = (f"{acceleration.note}, in bfloat16 ({len(branch.kept)} leading convolutions kept "
                "in fp32)")
        return Acceleration("none", EagerBF16Extractor(branch), note)
    return acceleration


def _build(model: nn.Module, accelerator: str, device: torch.device, half: bool, precision: str,
           calibration) -> Acceleration:
    requested = _check_accelerator(accelerator)
    kind = requested
    if requested == "auto":
        kind = _automatic_choice(device, precision)
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
            return _fallback(requested, f"accelerator 'tensorrt' unavailable ({reason})", precision)
    if kind == "onnxruntime":
        reason = None
        if half:
            reason = f"it runs the fp32 network; tracking runs on {device} in half precision"
        elif device.type not in ("cpu", "cuda"):
            reason = f"it runs on the CPU or CUDA, tracking runs on {device}"
        elif not onnxruntime_available():
            reason = "onnxruntime is not installed"
        else:
            try:
                onnxruntime_providers(device)
            except RuntimeError as error:
                reason = str(error)
        if reason:
            return _fallback(requested, f"accelerator 'onnxruntime' unavailable ({reason})", precision)
    if kind == "compile" and device.type != "cpu":
        return _fallback(requested, f"accelerator 'compile' is for the CPU, tracking runs on {device}",
                         precision)
    size = int(model.search_size)
    dtype = torch.half if half else torch.float
    example = torch.rand(1, 3, size, size, device=device, dtype=dtype) * 255
    if precision != "fp32":
        example = calibration[0]    # reduced precision is checked on a crop, not on noise
    branch = _SearchBranch(model).eval()
    part = "whole step" if kind == "onnxruntime" else "search branch"
    try:
        with torch.no_grad():
            if kind == "onnxruntime":
                step = _onnxruntime_step(model, example)
                compiled, difference = None, step.difference
            else:
                step = None
                compiled = _compile(kind, branch, example, half, precision, calibration)
                difference = _largest_difference(compiled, branch, example)
    except Exception as error:  # a failed compile must not stop tracking
        first = str(error).splitlines()[0] if str(error) else ""
        return _fallback(requested, f"accelerator {kind!r} failed to compile the {part}: "
                                    f"{type(error).__name__}: {first}", precision)
    tolerance = TOLERANCES["half" if half else precision]
    if not difference <= tolerance:
        return _fallback(requested, f"accelerator {kind!r} output differs from eager PyTorch by "
                                    f"{difference:.2e} (relative; allowed {tolerance:.0e})",
                         precision)
    if step is not None:
        note = (f"onnxruntime {precision} whole step (search branch, correlation, head) in one graph "
                f"on {device} (max relative difference {difference:.1e})")
    else:
        label = f"{kind} {precision}" if kind == "compile" else kind
        note = f"{label} search branch on {device} (max relative difference {difference:.1e})"
    LOGGER.info(note)
    return Acceleration(kind, compiled, note, step)


def _onnxruntime_step(model: nn.Module, example: torch.Tensor):
    """The step graph (``step_graph.py``), with ``difference``: its
    largest relative difference to eager PyTorch per map (foreground, centre-ness, distances) on
    ``example`` against the template features of a random crop."""
    from .step_graph import OnnxRuntimeStep, StepNetwork

    size = int(model.template_size)
    generator = torch.Generator().manual_seed(0)
    template_crop = (torch.rand(1, 3, size, size, generator=generator) * 255).to(example.device)
    template = list(model.template(template_crop))
    step = OnnxRuntimeStep(model, example, template)
    expected = StepNetwork(model).eval()(example, *template)
    produced = torch.from_numpy(step(example, template))
    groups = ((0, 1), (1, 2), (2, expected.size(0)))
    step.difference = largest_relative_difference([produced[a:b] for a, b in groups],
                                                  [expected[a:b] for a, b in groups])
    return step


def _automatic_choice(device: torch.device, precision: str = "fp32") -> str:
    if device.type == "cuda" and tensorrt_available():
        return "tensorrt"
    if device.type == "cpu" and precision in ("bf16", "int8"):
        return "compile"
    if device.type == "cpu" and onnxruntime_available():
        return "onnxruntime"
    return "none"


def _fallback(requested: str, reason: str, precision: str = "fp32") -> Acceleration:
    note = f"{reason}; using eager PyTorch" + (" in fp32" if precision == "int8" else "")
    # auto promises nothing for fp32; a reduced precision was asked for by name
    (LOGGER.info if requested == "auto" and precision == "fp32" else LOGGER.warning)(note)
    return Acceleration("none", None, note)
