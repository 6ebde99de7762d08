"""Backbones by name. Each returns a list of feature maps and exposes ``out_channels``
(one entry per map), ``stride`` and ``feature_size(input_size)``.

=============  =====================  ======  ===============  ==================  ==========
name           maps (channels)        stride  template 127 ->  search 255 ->       score size
=============  =====================  ======  ===============  ==================  ==========
resnet50       512, 1024, 2048        8       15 (neck: 7)     31                  25
resnet18       128, 256, 512 (x w)    8       15 (neck: 7)     31                  25
mobilenetv2    32, 96, 320 (x w) [1]  8       15 (neck: 7)     31                  25
alexnet        256 (x w)              8       6                22                  17
=============  =====================  ======  ===============  ==================  ==========

``w`` is ``width_mult``; resnet50 has the fixed published width. [1] ``outputs`` picks the
stages (e.g. ``(2, 4)``: 32 and 96 channels, a shorter trunk).
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from .alexnet import AlexNet, alexnet
from .mobilenetv2 import MobileNetV2, mobilenetv2
from .resnet import ResNet, resnet18, resnet50

BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "resnet50": resnet50,
    "resnet18": resnet18,
    "alexnet": alexnet,
    "mobilenetv2": mobilenetv2,
}
# backbones whose width can be scaled; resnet50 is fixed by the published weights
WIDTH_SCALABLE = ("resnet18", "alexnet", "mobilenetv2")


# backbones whose returned maps can be chosen (and whose unused later blocks are then not built)
OUTPUT_SELECTABLE = ("mobilenetv2",)


def build_backbone(name: str, width_mult: float = 1.0, outputs=None) -> nn.Module:
    """Build a backbone by name; raises ``ValueError`` naming the allowed choices.

    ``outputs``: stage indices whose maps are returned (``mobilenetv2`` only; None = default).
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(BACKBONES)}")
    if not width_mult > 0:
        raise ValueError(f"width_mult must be > 0, got {width_mult!r}")
    if outputs is not None:
        if name not in OUTPUT_SELECTABLE:
            raise ValueError(f"backbone {name!r} has fixed outputs; backbone_outputs can be set "
                             f"for {list(OUTPUT_SELECTABLE)} only")
        return BACKBONES[name](width_mult=width_mult, outputs=outputs)
    if name in WIDTH_SCALABLE:
        return BACKBONES[name](width_mult=width_mult)
    if width_mult != 1.0:
        raise ValueError(f"backbone {name!r} has a fixed width (published layout); "
                         f"width_mult must be 1.0, got {width_mult!r}; width can be scaled for "
                         f"{list(WIDTH_SCALABLE)}")
    return BACKBONES[name]()


__all__ = ["BACKBONES", "WIDTH_SCALABLE", "OUTPUT_SELECTABLE", "build_backbone", "AlexNet", "MobileNetV2", "ResNet",
           "alexnet", "mobilenetv2", "resnet18", "resnet50"]
