"""AlexNet for Siamese tracking (the SiamFC / SiamRPN variant with batch norm, no padding).

One output map of 256 x ``width_mult`` channels at stride 8: a 127 template gives 6x6 and a
255 search crop 22x22, so the depth-wise correlation yields a 17x17 response
(score_size 17, stride 8). Being unpadded and shallow it is by far the fastest backbone.
"""
from __future__ import annotations

import torch
from torch import nn

BASE_CHANNELS = (96, 256, 384, 384, 256)


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int = 1,
             pool: bool = False, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel, stride=stride),
                               nn.BatchNorm2d(out_channels)]
    if pool:
        layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class AlexNet(nn.Module):
    """Five conv layers (11x11/2 + pool, 5x5 + pool, three 3x3); returns ``[layer5]``."""

    stride = 8

    def __init__(self, width_mult: float = 1.0):
        super().__init__()
        c1, c2, c3, c4, c5 = (max(8, int(round(c * width_mult))) for c in BASE_CHANNELS)
        self.layer1 = _conv_bn(3, c1, 11, stride=2, pool=True)
        self.layer2 = _conv_bn(c1, c2, 5, pool=True)
        self.layer3 = _conv_bn(c2, c3, 3)
        self.layer4 = _conv_bn(c3, c4, 3)
        self.layer5 = _conv_bn(c4, c5, 3, relu=False)
        self.out_channels = [c5]

    @staticmethod
    def feature_size(input_size: int) -> int:
        """Side of the output map for a square input (127 -> 6, 255 -> 22)."""
        size = (input_size - 11) // 2 + 1   # conv1, stride 2
        size = (size - 3) // 2 + 1          # pool
        size = (size - 5 + 1 - 3) // 2 + 1  # conv2 then pool
        return size - 6                     # three 3x3 convs

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.device.type == "cpu":
            # CPU max pooling is several times faster on channels-last tensors (same values)
            x = x.contiguous(memory_format=torch.channels_last)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4, self.layer5):
            x = layer(x)
        return [x]


def alexnet(width_mult: float = 1.0) -> AlexNet:
    """AlexNet backbone: one 256*width_mult-channel map, stride 8, 127 -> 6x6,
    255 -> 22x22 (response 17x17)."""
    return AlexNet(width_mult)
