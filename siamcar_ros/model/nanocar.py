"""The ``nanocar`` network: a MobileNetV3-Small trunk at stride 16, NanoTrack V3's correlation
and towers, and SiamCAR's centre-ness branch.

Layout (the one NanoTrack V3's published weights were trained in, so they load by name):

- backbone: ``MobileNetV3Small``, 8x8 template map, 16x16 search map, 96 channels;
- per branch (classification, regression) two correlations of the template with the search
  map, concatenated and mixed by a 1x1 conv (``down_cls`` / ``down_reg``, 160 -> 96):
  a pixel-wise one (every template cell against every search cell: 64 maps, then channel
  attention and a 2x2 depth-wise conv, 15x15) and a depth-wise one (the template's central
  4x4 cells, padding 1, 15x15);
- towers of six [depth-wise 3x3, BN, ReLU6, point-wise 1x1, BN];
- ``cls_logits`` (2 channels) and ``centerness`` (1, the SiamCAR branch NanoTrack lacks) read
  the classification tower, ``bbox_pred`` (l, t, r, b, exp'ed, search-crop pixels) the
  regression tower.

The model offers the same calls and attributes as ``SiamCARModel`` (``template``,
``search_features``, ``track_features``, ``track``, ``forward``, ``score_size`` 15,
``stride`` 16, ``score_offset`` 15), so the tracker, the decoding, training and export take
it unchanged.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .backbones.mobilenetv3 import MobileNetV3Small
from .siamcar import SiameseNetwork
from .xcorr import xcorr_depthwise

CHANNELS = 96
TEMPLATE_CELLS = 64        # 8 x 8 template map: channels of the pixel-wise correlation
DEPTHWISE_KERNEL = 4       # central cells of the template map used by the depth-wise one
TOWER_BLOCKS = 6


def _pointwise_bn(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))


def central_cells(template: torch.Tensor, size: int = DEPTHWISE_KERNEL) -> torch.Tensor:
    """The central ``size`` x ``size`` cells of a template map (unchanged when not larger)."""
    side = template.size(3)
    if side <= size:
        return template
    start = (side - size) // 2
    return template[:, :, start:start + size, start:start + size]


class DepthwiseCorrelation(nn.Module):
    """1x1 conv + BN on each side, then each channel of the search map correlated with the same
    channel of the template's central cells (padding 1)."""

    def __init__(self, channels: int = CHANNELS):
        super().__init__()
        self.conv_kernel = _pointwise_bn(channels, channels)
        self.conv_search = _pointwise_bn(channels, channels)

    def forward(self, template: torch.Tensor, search: torch.Tensor,
                correlate=xcorr_depthwise) -> torch.Tensor:
        kernel = self.conv_kernel(central_cells(template))
        return correlate(F.pad(self.conv_search(search), (1, 1, 1, 1)), kernel)


class ChannelAttention(nn.Module):
    """Per-channel gates from the global average: 1x1 conv, ReLU, 1x1 conv, sigmoid."""

    def __init__(self, channels: int = TEMPLATE_CELLS):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels, 1)
        self.fc2 = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gates = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))))
        return x * gates


class PixelwiseCorrelation(nn.Module):
    """1x1 conv + BN on each side, the inner product of every template cell with every search
    cell (one output map per template cell), channel attention, then a 2x2 depth-wise conv and
    a 1x1 conv (16x16 -> 15x15, aligned with the depth-wise correlation)."""

    def __init__(self, channels: int = CHANNELS, template_cells: int = TEMPLATE_CELLS):
        super().__init__()
        self.conv_kernel = _pointwise_bn(channels, channels)
        self.conv_search = _pointwise_bn(channels, channels)
        self.CA_layer = ChannelAttention(template_cells)
        self.conv = nn.Sequential(
            nn.Conv2d(template_cells, template_cells, 2, groups=template_cells, bias=False),
            nn.BatchNorm2d(template_cells), nn.ReLU6(),
            nn.Conv2d(template_cells, template_cells, 1), nn.BatchNorm2d(template_cells))

    def forward(self, template: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        kernel = self.conv_kernel(template)
        search = self.conv_search(search)
        batch, channels, height, width = search.shape
        cells = kernel.reshape(kernel.size(0), channels, -1).transpose(1, 2)
        if cells.size(0) != batch:
            cells = cells.expand(batch, -1, -1)
        response = torch.matmul(cells, search.reshape(batch, channels, height * width))
        response = response.reshape(batch, cells.size(1), height, width)
        return self.conv(self.CA_layer(response))


def _tower(channels: int = CHANNELS, blocks: int = TOWER_BLOCKS) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(blocks):
        layers += [nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                   nn.BatchNorm2d(channels), nn.ReLU6(),
                   nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels)]
    return nn.Sequential(*layers)


class NanoCARHead(nn.Module):
    """Correlations, towers and the three outputs (see the module docstring)."""

    def __init__(self, channels: int = CHANNELS):
        super().__init__()
        self.corr_pw_cls = PixelwiseCorrelation(channels)
        self.corr_dw_cls = DepthwiseCorrelation(channels)
        self.corr_pw_reg = PixelwiseCorrelation(channels)
        self.corr_dw_reg = DepthwiseCorrelation(channels)
        self.down_cls = nn.Conv2d(channels + TEMPLATE_CELLS, channels, 1)
        self.down_reg = nn.Conv2d(channels + TEMPLATE_CELLS, channels, 1)
        self.cls_tower = _tower(channels)
        self.bbox_tower = _tower(channels)
        self.cls_logits = nn.Conv2d(channels, 2, 1)
        self.bbox_pred = nn.Conv2d(channels, 4, 1)
        self.centerness = nn.Conv2d(channels, 1, 1)
        nn.init.normal_(self.centerness.weight, std=0.01)
        nn.init.zeros_(self.centerness.bias)

    def forward(self, template: torch.Tensor, search: torch.Tensor, correlate=xcorr_depthwise):
        cls_features = self.down_cls(torch.cat(
            (self.corr_pw_cls(template, search),
             self.corr_dw_cls(template, search, correlate)), dim=1))
        reg_features = self.down_reg(torch.cat(
            (self.corr_pw_reg(template, search),
             self.corr_dw_reg(template, search, correlate)), dim=1))
        cls_tower = self.cls_tower(cls_features)
        loc = torch.exp(self.bbox_pred(self.bbox_tower(reg_features)))
        return self.cls_logits(cls_tower), loc, self.centerness(cls_tower)


class NanoCARModel(SiameseNetwork):
    """The ``nanocar`` network, with ``SiamCARModel``'s interface (inputs: float32
    B x 3 x H x W crops with raw 0..255 BGR values; outputs ``cls``, ``loc``, ``cen``)."""

    def __init__(self, config: dict | None = None):
        super().__init__()
        self.backbone = MobileNetV3Small()
        self.car_head = NanoCARHead(self.backbone.out_channels[0])
        self.stride = self.backbone.stride
        template_side = self.backbone.feature_size(self.template_size)
        search_side = self.backbone.feature_size(self.search_size)
        # the pixel-wise branch's 2x2 conv and the padded 4x4 depth-wise one both give S - 1
        self.score_size = search_side - 1
        if template_side * template_side != TEMPLATE_CELLS:
            raise ValueError(f"nanocar needs an 8x8 template map, got {template_side}")
        self.config = dict(config or {"architecture": "nanocar"})

    def _maps(self, image: torch.Tensor) -> list[torch.Tensor]:
        return [feature.contiguous() for feature in self.backbone(image)]

    def _head(self, search_features: list[torch.Tensor], template_features: list[torch.Tensor],
              correlate=xcorr_depthwise) -> dict[str, torch.Tensor]:
        cls, loc, cen = self.car_head(template_features[0], search_features[0], correlate)
        return {"cls": cls.contiguous(), "loc": loc.contiguous(), "cen": cen.contiguous()}
