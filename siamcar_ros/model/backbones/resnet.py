"""Stride-8 ResNets for Siamese tracking (the SiamRPN++ / SiamCAR modification).

Compared with the ImageNet ResNet: ``conv1`` has no padding, layer2's first block
downsamples with a 3x3 convolution and no padding, and layer3 / layer4 keep stride 1 but
dilate by 2 / 4, so layer2, layer3 and layer4 all come out at stride 8. With a 127 template
and a 255 search crop every returned map is 15x15 and 31x31.

Parameter names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1`` ...), which is
what the published SiamCAR ResNet-50 checkpoints use, and lets ImageNet weights load.
"""
from __future__ import annotations

import torch
from torch import nn


def _conv_output(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _padding_and_dilation(stride: int, dilation: int, first_of_dilated_layer: bool) -> tuple[int, int]:
    """Padding/dilation of a block's 3x3 conv: stride-2 convs pad 0 (keeps 127 -> 15 exact),
    the first block of a dilated layer uses half the dilation (it bridges the change)."""
    if first_of_dilated_layer and dilation > 1:
        dilation //= 2
    padding = dilation if dilation > 1 else 2 - stride
    return padding, dilation


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided or dilated), 1x1 expand x4, plus the residual branch."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, dilation: int = 1):
        super().__init__()
        padding, dilation = _padding_and_dilation(stride, dilation, downsample is not None)
        self.conv1 = nn.Conv2d(in_channels, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride,
                               padding=padding, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(out + residual)


class BasicBlock(nn.Module):
    """Two 3x3 convs (the first strided or dilated), plus the residual branch."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, dilation: int = 1):
        super().__init__()
        padding, first_dilation = _padding_and_dilation(stride, dilation, downsample is not None)
        self.conv1 = nn.Conv2d(in_channels, planes, kernel_size=3, stride=stride,
                               padding=padding, dilation=first_dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(out + residual)


class ResNet(nn.Module):
    """Stride-8 ResNet returning ``[layer2, layer3, layer4]`` outputs.

    Attributes: ``out_channels`` (per returned map) and ``stride`` (8).
    """

    stride = 8

    def __init__(self, block: type[Bottleneck] | type[BasicBlock], blocks_per_layer: list[int],
                 base_width: int = 64):
        super().__init__()
        self._in_channels = base_width
        self.conv1 = nn.Conv2d(3, base_width, kernel_size=7, stride=2, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base_width, blocks_per_layer[0])
        self.layer2 = self._make_layer(block, base_width * 2, blocks_per_layer[1], stride=2)
        self.layer3 = self._make_layer(block, base_width * 4, blocks_per_layer[2], dilation=2)
        self.layer4 = self._make_layer(block, base_width * 8, blocks_per_layer[3], dilation=4)
        self.out_channels = [base_width * m * block.expansion for m in (2, 4, 8)]
        self._init_weights()

    def _make_layer(self, block, planes: int, num_blocks: int, stride: int = 1,
                    dilation: int = 1) -> nn.Sequential:
        out_channels = planes * block.expansion
        downsample = None
        if stride != 1 or dilation != 1:
            # 3x3 shortcut, with the padding and dilation of the block's first 3x3 conv
            padding, shortcut_dilation = _padding_and_dilation(stride, dilation,
                                                               first_of_dilated_layer=True)
            downsample = nn.Sequential(
                nn.Conv2d(self._in_channels, out_channels, kernel_size=3, stride=stride,
                          padding=padding, dilation=shortcut_dilation, bias=False),
                nn.BatchNorm2d(out_channels))
        elif self._in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._in_channels, out_channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_channels))
        layers = [block(self._in_channels, planes, stride, downsample, dilation)]
        self._in_channels = out_channels
        layers += [block(out_channels, planes, dilation=dilation) for _ in range(1, num_blocks)]
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    @staticmethod
    def feature_size(input_size: int) -> int:
        """Side of every returned map for a square input (127 -> 15, 255 -> 31)."""
        size = _conv_output(input_size, 7, stride=2)
        size = _conv_output(size, 3, stride=2, padding=1)
        return _conv_output(size, 3, stride=2)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        layer2 = self.layer2(self.layer1(x))
        layer3 = self.layer3(layer2)
        layer4 = self.layer4(layer3)
        return [layer2, layer3, layer4]


def resnet50() -> ResNet:
    """The published SiamCAR backbone: maps of 512, 1024, 2048 channels, stride 8
    (127 -> 15x15, 255 -> 31x31)."""
    return ResNet(Bottleneck, [3, 4, 6, 3])


def resnet18(width_mult: float = 1.0) -> ResNet:
    """ResNet-18 in the same stride-8 layout: maps of 128, 256, 512 channels
    (times ``width_mult``), stride 8, 127 -> 15x15 and 255 -> 31x31 (response 25x25).
    ImageNet weights exist only for ``width_mult=1``."""
    return ResNet(BasicBlock, [2, 2, 2, 2], base_width=max(8, int(round(64 * width_mult))))
