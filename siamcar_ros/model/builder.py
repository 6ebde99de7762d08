"""``build_model``: compose backbone, neck and head by name."""
from __future__ import annotations

from torch import nn

from .backbones import build_backbone
from .head import CARHead
from .nanocar import NanoCARModel
from .neck import Neck
from .siamcar import SiamCARModel

ARCHITECTURES = ("siamcar", "nanocar")
NANOCAR_BACKBONE = "mobilenetv3_small"


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def build_model(backbone: str | None = None, width_mult: float = 1.0, neck_channels: int = 256,
                head_channels: int = 256, head_num_convs: int = 4,
                backbone_outputs: list[int] | None = None,
                architecture: str = "siamcar") -> nn.Module:
    """Build a SiamCAR network. The defaults give the published ResNet-50 layout.

    architecture: ``siamcar`` (backbone, neck, one depth-wise correlation per neck output,
        ``down``, the CAR head; the arguments below apply) or ``nanocar`` (a fixed layout:
        MobileNetV3-Small at stride 16 with NanoTrack V3's correlations and towers plus the
        centre-ness branch, ``model/nanocar.py``; backbone, when given, must be
        ``mobilenetv3_small`` and the width arguments keep their defaults).

    backbone: one of ``resnet50`` (published weights), ``resnet18``, ``alexnet``,
        ``mobilenetv2``.
    width_mult: channel multiplier of the backbone (not for ``resnet50``).
    neck_channels: channels of each neck output (and of each correlation response).
    head_channels: channels of the ``down`` layer output and of the head towers
        (GroupNorm uses min(32, channels // 8) groups, rounded to a divisor).
    head_num_convs: conv layers in each head tower.
    backbone_outputs: stage indices whose maps feed the neck (``mobilenetv2`` only; None =
        the backbone's default). Later blocks are not built: ``[2, 4]`` keeps MobileNetV2 up to
        its 96-channel stage.

    Small fast example: ``build_model("alexnet", width_mult=0.5, neck_channels=64,
    head_channels=64, head_num_convs=2)``. ``build_model(**model.config)`` rebuilds a model.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; choose one of {list(ARCHITECTURES)}")
    if architecture == "nanocar":
        return _build_nanocar(backbone, width_mult, neck_channels, head_channels, head_num_convs,
                              backbone_outputs)
    backbone = "resnet50" if backbone is None else backbone
    if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)):
        raise ValueError(f"width_mult must be a number > 0, got {width_mult!r}")
    _check_positive_int("neck_channels", neck_channels)
    _check_positive_int("head_channels", head_channels)
    _check_positive_int("head_num_convs", head_num_convs)
    config = {"backbone": backbone, "width_mult": float(width_mult),
              "neck_channels": neck_channels, "head_channels": head_channels,
              "head_num_convs": head_num_convs}
    if backbone_outputs is not None:
        config["backbone_outputs"] = [int(i) for i in backbone_outputs]
    features = build_backbone(backbone, float(width_mult), backbone_outputs)
    neck = Neck(features.out_channels, neck_channels)
    head = CARHead(head_channels, head_num_convs)
    model = SiamCARModel(features, neck, head, config)
    if model.score_size < 1:
        raise ValueError(f"backbone {backbone!r} gives no response map for "
                         f"{model.template_size}/{model.search_size} crops")
    return model


def _build_nanocar(backbone, width_mult, neck_channels, head_channels, head_num_convs,
                   backbone_outputs) -> NanoCARModel:
    if backbone not in (None, NANOCAR_BACKBONE):
        raise ValueError(f"architecture 'nanocar' has the {NANOCAR_BACKBONE} backbone, got "
                         f"backbone {backbone!r}")
    changed = [name for name, value, default in (
        ("width_mult", width_mult, 1.0), ("neck_channels", neck_channels, 256),
        ("head_channels", head_channels, 256), ("head_num_convs", head_num_convs, 4),
        ("backbone_outputs", backbone_outputs, None)) if value != default]
    if changed:
        raise ValueError(f"architecture 'nanocar' has a fixed layout; leave {', '.join(changed)} "
                         f"unset")
    return NanoCARModel({"architecture": "nanocar", "backbone": NANOCAR_BACKBONE})
