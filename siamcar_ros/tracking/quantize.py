"""Reduced precision of the search branch on the CPU: int8 by static quantization, and the
layers that must stay in fp32 for bf16 and int8 alike.

int8 is PyTorch's PT2E flow (torchao's ``X86InductorQuantizer``): the branch is exported,
observers record activation ranges over calibration crops, and the quantized graph is
compiled by inductor into oneDNN int8 kernels. Before export, batch norms are folded into the
convolutions that feed them and a ReLU module that one block calls several times becomes one
call each: the quantizer pairs a convolution with what follows it by source module.

Some layers lose most of their precision in bfloat16 or int8 (a large sum that the batch norm
after them nearly cancels); ``bf16_branch`` keeps the fewest leading convolutions in fp32 that
bring the features within 1 % of fp32 on calibration crops, and int8 leaves the same ones
unquantized.

Calibration crops are search crops around a target, passed by the caller
(``CALIBRATION_HINT``: the tools' procedural ones come from
``siamcar_ros.data.procedural.calibration``); quantizing without them is an error. Speed and
fidelity figures: docs/deployment.md and docs/benchmarks.md.
"""
from __future__ import annotations

import copy
import importlib.util
import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["BF16Branch", "CALIBRATION_HINT", "QuantizationError", "bf16_branch", "convolutions_in_order",
           "fold_batch_norms", "quantize_branch", "torchao_available"]

LOGGER = logging.getLogger(__name__)

# what a reduced precision takes as calibration, for error messages
CALIBRATION_HINT = ("a list of 1 x 3 x S x S float search crops (raw BGR 0..255), or a function of the "
                    "search size S that returns them; siamcar_ros.data.procedural.calibration."
                    "calibration_crops makes procedural ones")
# mean relative error of the branch's features (against fp32) that bf16 may reach before more
# of its leading convolutions are kept in fp32
BF16_TARGET_ERROR = 0.01


class QuantizationError(RuntimeError):
    """A reduced precision cannot be set up as asked: no calibration crops, no torchao (what
    was wrong is in the message)."""


def torchao_available() -> bool:
    return importlib.util.find_spec("torchao") is not None


class _CallReLU(nn.Module):
    """A ReLU whose every call is its own node for the quantizer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.relu(x)


def _module_path(node) -> str | None:
    stack = node.meta.get("nn_module_stack") or {}
    return list(stack.values())[-1][0] if stack else None


def _replace(module: nn.Module, path: str, replacement: nn.Module) -> None:
    parent, _, child = path.rpartition(".")
    setattr(module.get_submodule(parent) if parent else module, child, replacement)


def _convolution_norm_pairs(module: nn.Module, example: torch.Tensor) -> list[tuple[str, str]]:
    """(convolution, batch norm) module paths where the norm takes the convolution's output
    and nothing else does."""
    graph = torch.export.export(module, (example,)).graph
    pairs = []
    for node in graph.nodes:
        if node.op != "call_function" or "batch_norm" not in str(node.target):
            continue
        source = node.args[0]
        if (isinstance(source, torch.fx.Node) and source.op == "call_function"
                and "conv2d" in str(source.target) and len(source.users) == 1):
            conv_path, norm_path = _module_path(source), _module_path(node)
            if conv_path is not None and norm_path is not None:
                pairs.append((conv_path, norm_path))
    return list(dict.fromkeys(pairs))


def convolutions_in_order(branch: nn.Module, crop: torch.Tensor) -> list[str]:
    """Paths of the convolutions of ``branch`` in the order a forward pass runs them."""
    order: list[str] = []

    def recorder(name: str):
        def record(_module, _inputs, _output) -> None:
            if name not in order:
                order.append(name)
        return record

    hooks = [module.register_forward_hook(recorder(name))
             for name, module in branch.named_modules() if isinstance(module, nn.Conv2d)]
    try:
        with torch.no_grad():
            branch(crop)
    finally:
        for hook in hooks:
            hook.remove()
    return order


class _BF16Convolution(nn.Module):
    """A convolution computed in bfloat16 between fp32 activations (what autocast does, as
    plain casts that torch.export and inductor take, and that inductor fuses away)."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = copy.deepcopy(conv).to(torch.bfloat16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.to(torch.bfloat16)).float()


class BF16Branch(nn.Module):
    """A branch (batch norms folded) whose convolutions run in bfloat16 except those ``kept``
    in fp32; activations between them stay fp32."""

    def __init__(self, folded: nn.Module, kept: Sequence[str]):
        super().__init__()
        self.body = copy.deepcopy(folded).eval()
        self.kept = list(kept)
        for name, module in list(self.body.named_modules()):
            if isinstance(module, nn.Conv2d) and name not in self.kept:
                _replace(self.body, name, _BF16Convolution(module))

    def forward(self, x: torch.Tensor):
        return tuple(self.body(x))


def mean_relative_error(produced, expected) -> float:
    """Mean absolute difference over mean magnitude, averaged over the outputs."""
    return float(np.mean([float((a.float() - b.float()).abs().mean() / (b.float().abs().mean() + 1e-12))
                          for a, b in zip(produced, expected)]))


def bf16_branch(branch: nn.Module, crops: Sequence[torch.Tensor],
                target: float = BF16_TARGET_ERROR) -> BF16Branch:
    """``branch`` in bfloat16 with the fewest leading convolutions kept in fp32 that bring its
    mean relative error on ``crops`` under ``target`` (all of them if nothing else does).

    Leading, because that is where the error starts: the first layers see the image's full
    range and large sums that their batch norms nearly cancel, so bf16's 8 significant bits
    lose most of the result there and every later layer inherits it. (The bundled MobileNetV2
    loses 10 % in bf16 throughout; its first 13 of 41 convolutions in fp32 bring that to 1 %.
    ResNet-50 stays under 1 % with none kept.)
    """
    crops = list(crops)
    folded, _ = fold_batch_norms(branch, crops[0])
    order = convolutions_in_order(folded, crops[0])
    with torch.no_grad():
        expected = [branch(crop) for crop in crops]

    def error(count: int) -> tuple[float, BF16Branch]:
        candidate = BF16Branch(folded, order[:count])
        with torch.no_grad():
            return float(np.mean([mean_relative_error(candidate(crop), reference)
                                  for crop, reference in zip(crops, expected)])), candidate

    measured, best = error(0)
    low, high = 0, len(order)
    if measured > target:
        # the error falls as more leading layers stay in fp32: find the fewest that suffice
        while low + 1 < high:
            middle = (low + high) // 2
            measured_middle, candidate = error(middle)
            if measured_middle <= target:
                high, best, measured = middle, candidate, measured_middle
            else:
                low = middle
        if best.kept != order[:high]:
            measured, best = error(high)
    LOGGER.info("bf16: %d of %d convolutions kept in fp32, mean relative error %.2g on %d crops",
                len(best.kept), len(order), measured, len(crops))
    return best


def fold_batch_norms(branch: nn.Module, example: torch.Tensor) -> tuple[nn.Module, int]:
    """A copy of ``branch`` (eval mode) with each batch norm that follows a convolution folded
    into it, and shared ReLU modules split per call; returns it and the number folded."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = copy.deepcopy(branch).eval()
    done = 0
    for conv_path, norm_path in _convolution_norm_pairs(folded, example):
        conv, norm = folded.get_submodule(conv_path), folded.get_submodule(norm_path)
        if not isinstance(conv, nn.Conv2d) or not isinstance(norm, nn.BatchNorm2d):
            continue
        fused = fuse_conv_bn_eval(conv, norm)
        conv.weight, conv.bias = fused.weight, fused.bias
        _replace(folded, norm_path, nn.Identity())
        done += 1
    for name, module in list(folded.named_modules()):
        if type(module) is nn.ReLU:
            _replace(folded, name, _CallReLU())
    return folded, done


def quantize_branch(branch: nn.Module, crops: Sequence[torch.Tensor],
                    keep: Sequence[str] = ()) -> nn.Module:
    """The int8 graph of ``branch`` (a module taking one crop), calibrated on ``crops``, the
    convolutions ``keep`` left in fp32; not yet compiled (``torch.compile`` turns it into int8
    kernels)."""
    if not torchao_available():
        raise QuantizationError("precision 'int8' needs the torchao package (pip install "
                                "torchao==0.18.0); it is not installed")
    crops = list(crops or [])
    if not crops:
        raise QuantizationError("precision 'int8' needs calibration crops to set its ranges; "
                                f"none were given (calibration: {CALIBRATION_HINT})")
    example = crops[0]
    for crop in crops:
        if tuple(crop.shape) != tuple(example.shape):
            raise QuantizationError(f"calibration crops must share one shape; got {tuple(example.shape)} "
                                    f"and {tuple(crop.shape)}")
    # torchao logs a warning for each CUDA kernel library it cannot load on a CPU-only machine
    logging.getLogger("torchao").setLevel(logging.ERROR)
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
        X86InductorQuantizer, get_default_x86_inductor_quantization_config)

    with torch.no_grad():
        folded, count = fold_batch_norms(branch, example)
        graph = torch.export.export(folded, (example,)).module()
        quantizer = X86InductorQuantizer()
        quantizer.set_global(get_default_x86_inductor_quantization_config())
        for name in keep:
            quantizer.set_module_name_qconfig(name, None)
        prepared = prepare_pt2e(graph, quantizer)
        for crop in crops:
            prepared(crop)
        quantized = convert_pt2e(prepared)
    LOGGER.info("int8: %d batch norms folded, calibrated on %d crops, %d convolutions kept in "
                "fp32", count, len(crops), len(keep))
    return quantized
