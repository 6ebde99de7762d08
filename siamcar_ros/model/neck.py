"""Neck: per backbone map, a 1x1 conv + batch norm to a common channel count.

Template maps (narrower than ``crop_below``) keep only their centre ``crop_size`` square:
for ResNet-50 the 15x15 template map becomes 7x7 (indices 4..10), which drops the border
cells dominated by padding and sets the response to 31 - 7 + 1 = 25.
"""
from __future__ import annotations

import torch
from torch import nn


class AdjustLayer(nn.Module):
    """1x1 conv (no bias) + BN, then the centre crop for template-sized maps."""

    def __init__(self, in_channels: int, out_channels: int, crop_size: int = 7,
                 crop_below: int = 20):
        super().__init__()
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.crop_size = crop_size
        self.crop_below = crop_below

    def output_size(self, input_size: int) -> int:
        if self.crop_size < input_size < self.crop_below:
            return self.crop_size
        return input_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        width = x.size(3)
        side = self.output_size(width)
        if side != width:
            start = (width - side) // 2
            x = x[:, :, start:start + side, start:start + side]
        return x


class Neck(nn.Module):
    """One ``AdjustLayer`` per backbone map, named ``downsample2``, ``downsample3``, ...
    (the published checkpoint names for ResNet layers 2, 3, 4)."""

    def __init__(self, in_channels: list[int], out_channels: int = 256, crop_size: int = 7):
        super().__init__()
        self.layer_names = [f"downsample{i + 2}" for i in range(len(in_channels))]
        for name, channels in zip(self.layer_names, in_channels):
            self.add_module(name, AdjustLayer(channels, out_channels, crop_size))
        self.out_channels = out_channels

    def output_size(self, input_size: int) -> int:
        return getattr(self, self.layer_names[0]).output_size(input_size)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        if len(features) != len(self.layer_names):
            raise ValueError(f"neck expects {len(self.layer_names)} feature maps, got {len(features)}")
        return [getattr(self, name)(feature).contiguous()
                for name, feature in zip(self.layer_names, features)]
