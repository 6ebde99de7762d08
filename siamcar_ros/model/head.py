"""The CAR head: classification, centre-ness and box regression from the response map."""
from __future__ import annotations

import math

import torch
from torch import nn


def group_norm_groups(channels: int, max_groups: int = 32, min_channels_per_group: int = 8) -> int:
    """Number of GroupNorm groups: 32 for 256 channels, fewer for narrow heads (always a divisor)."""
    groups = max(1, min(max_groups, channels // min_channels_per_group))
    while channels % groups:
        groups -= 1
    return groups


def _tower(channels: int, num_convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(channels, channels, kernel_size=3, padding=1),
                   nn.GroupNorm(group_norm_groups(channels), channels),
                   nn.ReLU()]
    return nn.Sequential(*layers)


class CARHead(nn.Module):
    """Two towers of [3x3 conv, GroupNorm, ReLU]; ``cls_logits`` (2 ch) and ``centerness``
    (1 ch) read the classification tower, ``bbox_pred`` (l, t, r, b) the box tower and is
    passed through ``exp`` so distances are positive."""

    def __init__(self, channels: int = 256, num_convs: int = 4, num_classes: int = 2,
                 prior_prob: float = 0.01):
        super().__init__()
        self.cls_tower = _tower(channels, num_convs)
        self.bbox_tower = _tower(channels, num_convs)
        self.cls_logits = nn.Conv2d(channels, num_classes, kernel_size=3, padding=1)
        self.bbox_pred = nn.Conv2d(channels, 4, kernel_size=3, padding=1)
        self.centerness = nn.Conv2d(channels, 1, kernel_size=3, padding=1)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, std=0.01)
                nn.init.zeros_(module.bias)
        # start with a low foreground probability so early training is not swamped by negatives
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_prob) / prior_prob))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        cls_features = self.cls_tower(features)
        cls = self.cls_logits(cls_features)
        cen = self.centerness(cls_features)
        loc = torch.exp(self.bbox_pred(self.bbox_tower(features)))
        return cls, loc, cen
