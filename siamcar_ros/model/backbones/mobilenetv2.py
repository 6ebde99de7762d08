"""MobileNetV2 at stride 8 for Siamese tracking.

The stages after the third run at stride 1 with dilation 2 and 4 instead of striding, and
stride-2 convolutions are unpadded, so like the ResNets a 127 template gives 15x15 maps and
a 255 search crop 31x31 (response 25x25 after the neck's 7x7 template crop). Returns the
outputs of the 32-, 96- and 320-channel stages (times ``width_mult``).

Module names follow torchvision's ``mobilenet_v2`` (``features.N.conv...``), so ImageNet
weights load into ``features.0`` .. ``features.17`` (the 1280-channel head is not built).

``outputs`` chooses which stages' maps are returned; blocks after the last returned stage are
not built, so ``outputs=(2, 4)`` is a shorter, faster trunk (32- and 96-channel maps, blocks
``features.0`` .. ``features.13``).
"""
from __future__ import annotations

import torch
from torch import nn

# expansion t, output channels c, repeats n, stride s, dilation d
STAGES = (
    (1, 16, 1, 1, 1),
    (6, 24, 2, 2, 1),
    (6, 32, 3, 2, 1),
    (6, 64, 4, 1, 2),
    (6, 96, 3, 1, 2),
    (6, 160, 3, 1, 4),
    (6, 320, 1, 1, 4),
)
RETURNED_STAGES = (2, 4, 6)  # zero-based indices into STAGES


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Channel rounding used by MobileNetV2 (never below 90% of the request)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _conv_bn_relu6(in_channels: int, out_channels: int, kernel: int, stride: int = 1,
                   padding: int = 0, dilation: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, padding, dilation=dilation,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """Expand 1x1, depth-wise 3x3 (strided or dilated), project 1x1; residual when shapes allow."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int,
                 dilation: int = 1):
        super().__init__()
        hidden = in_channels * expansion
        padding = dilation if dilation > 1 else 2 - stride
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(_conv_bn_relu6(in_channels, hidden, 1))
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, padding, dilation, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


def check_outputs(outputs) -> tuple[int, ...]:
    """The returned stage indices as a sorted tuple; ValueError naming the allowed values."""
    try:
        chosen = tuple(sorted({int(i) for i in outputs}))
    except (TypeError, ValueError):
        chosen = ()
    # stage 2 is the first at stride 8: earlier maps would not line up with the others
    if not chosen or chosen[0] < 2 or chosen[-1] >= len(STAGES):
        raise ValueError(f"mobilenetv2 outputs must be distinct stage indices in 2..{len(STAGES) - 1} "
                         f"(2: 32 ch, 3: 64, 4: 96, 5: 160, 6: 320), got {outputs!r}")
    return chosen


class MobileNetV2(nn.Module):
    """Stride-8 MobileNetV2 returning the maps of the chosen stages (default 3rd, 5th, 7th)."""

    stride = 8

    def __init__(self, width_mult: float = 1.0, outputs: tuple[int, ...] = RETURNED_STAGES):
        super().__init__()
        outputs = check_outputs(outputs)
        in_channels = _make_divisible(32 * width_mult)
        blocks: list[nn.Module] = [_conv_bn_relu6(3, in_channels, 3, stride=2)]
        self.return_indices: list[int] = []
        self.out_channels: list[int] = []
        previous_dilation = 1
        for stage, (expansion, channels, repeats, stride, dilation) in enumerate(STAGES[:outputs[-1] + 1]):
            out_channels = _make_divisible(channels * width_mult)
            for i in range(repeats):
                # the first block of a newly dilated stage bridges with half the dilation
                block_dilation = dilation if (i > 0 or dilation == previous_dilation) \
                    else max(dilation // 2, 1)
                blocks.append(InvertedResidual(in_channels, out_channels, stride if i == 0 else 1,
                                               expansion, block_dilation))
                in_channels = out_channels
            previous_dilation = dilation
            if stage in outputs:
                self.return_indices.append(len(blocks) - 1)
                self.out_channels.append(out_channels)
        self.features = nn.Sequential(*blocks)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    @staticmethod
    def feature_size(input_size: int) -> int:
        """Side of every returned map for a square input (127 -> 15, 255 -> 31)."""
        size = input_size
        for _ in range(3):  # stem and the two strided stages, all unpadded 3x3 / 2
            size = (size - 3) // 2 + 1
        return size

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.device.type == "cpu":
            # CPU depth-wise convolutions run faster on channels-last tensors (same values)
            x = x.contiguous(memory_format=torch.channels_last)
        outputs = []
        for index, block in enumerate(self.features):
            x = block(x)
            if index in self.return_indices:
                outputs.append(x)
        return outputs


def mobilenetv2(width_mult: float = 1.0, outputs: tuple[int, ...] = RETURNED_STAGES) -> MobileNetV2:
    """MobileNetV2 backbone: maps of 32, 96, 320 channels (times width_mult; ``outputs``
    chooses the stages), stride 8, 127 -> 15x15, 255 -> 31x31 (response 25x25)."""
    return MobileNetV2(width_mult, outputs)
