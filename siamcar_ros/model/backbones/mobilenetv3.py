"""MobileNetV3-Small at stride 16, the trunk of the ``nanocar`` network.

Nine inverted-residual blocks after a strided 3x3 stem; the last block widens to 96 channels
at stride 1 (the ImageNet network's later stride-2 stage is not built), so a 127 template
gives an 8x8 map and a 255 search crop a 16x16 one. Module names (``features.N.conv.M``)
follow the layout the NanoTrack V3 weights were saved in, so they load by name.

Activations are PyTorch's ``Hardswish`` / ``Hardsigmoid`` (x * relu6(x + 3) / 6 and
relu6(x + 3) / 6), which export to single ONNX operators.
"""
from __future__ import annotations

import torch
from torch import nn

# kernel, expansion, output channels, squeeze-and-excite, hard-swish, stride
BLOCKS = (
    (3, 1.0, 16, True, False, 2),
    (3, 4.5, 24, False, False, 2),
    (3, 3.67, 24, False, False, 1),
    (5, 4.0, 40, True, True, 2),
    (5, 6.0, 40, True, True, 1),
    (5, 6.0, 40, True, True, 1),
    (5, 3.0, 48, True, True, 1),
    (5, 3.0, 48, True, True, 1),
    (5, 6.0, 96, True, True, 1),
)
STEM_CHANNELS = 16
STRIDE = 16


def _make_divisible(value: float, divisor: int = 8) -> int:
    """MobileNet channel rounding (never below 90 % of the request)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _activation(hard_swish: bool) -> nn.Module:
    return nn.Hardswish() if hard_swish else nn.ReLU()


class SqueezeExcite(nn.Module):
    """Channel gates from the global average: linear, ReLU, linear, hard sigmoid."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        squeezed = _make_divisible(channels // reduction)
        self.fc = nn.Sequential(nn.Linear(channels, squeezed), nn.ReLU(),
                                nn.Linear(squeezed, channels), nn.Hardsigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gates = self.fc(x.mean(dim=(2, 3)))
        return x * gates[:, :, None, None]


class InvertedResidual(nn.Module):
    """[expand 1x1,] depth-wise kxk, [squeeze-excite,] project 1x1; residual when shapes allow."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, kernel: int,
                 squeeze_excite: bool, hard_swish: bool, stride: int):
        super().__init__()
        self.residual = stride == 1 and in_channels == out_channels
        depthwise = nn.Conv2d(hidden, hidden, kernel, stride, (kernel - 1) // 2, groups=hidden,
                              bias=False)
        gate = SqueezeExcite(hidden) if squeeze_excite else nn.Identity()
        project = [nn.Conv2d(hidden, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)]
        if in_channels == hidden:
            layers = [depthwise, nn.BatchNorm2d(hidden), _activation(hard_swish), gate, *project]
        else:
            layers = [nn.Conv2d(in_channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                      _activation(hard_swish), depthwise, nn.BatchNorm2d(hidden), gate,
                      _activation(hard_swish), *project]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV3Small(nn.Module):
    """Returns one map (96 channels, stride 16) in a list, like the other backbones."""

    stride = STRIDE

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, STEM_CHANNELS, 3, 2, 1, bias=False), nn.BatchNorm2d(STEM_CHANNELS),
            nn.Hardswish())]
        channels = STEM_CHANNELS
        for kernel, expansion, out_channels, squeeze_excite, hard_swish, stride in BLOCKS:
            hidden = _make_divisible(channels * expansion)
            layers.append(InvertedResidual(channels, hidden, out_channels, kernel,
                                           squeeze_excite, hard_swish, stride))
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.out_channels = [channels]

    @staticmethod
    def feature_size(input_size: int) -> int:
        """Map side for an input side: four padded stride-2 layers, each ceil(n / 2)."""
        for _ in range(4):
            input_size = (input_size + 1) // 2
        return input_size

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [self.features(x)]


def mobilenetv3_small() -> MobileNetV3Small:
    return MobileNetV3Small()
