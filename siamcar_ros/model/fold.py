"""BatchNorm folded into the convolution before it, for inference.

In eval mode a BatchNorm after a convolution is an affine map per channel, so it can be
carried by the convolution's own weights and bias: ``w' = w * g / sqrt(v + eps)``,
``b' = (b - m) * g / sqrt(v + eps) + beta``. The folded network computes the same maps (to
float rounding) with one layer fewer per pair; the nanocar network has 63 such pairs.

Only a ``Conv2d`` immediately followed by a ``BatchNorm2d`` inside one ``nn.Sequential`` is
folded (the layout of every network here); anything else is left as it is.
"""
from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

__all__ = ["fold_batchnorm"]


def _fold_sequential(sequential: nn.Sequential) -> int:
    folded = 0
    names = list(sequential._modules)
    for first, second in zip(names, names[1:]):
        conv, norm = sequential._modules[first], sequential._modules[second]
        if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) \
                and norm.track_running_stats and conv.out_channels == norm.num_features:
            sequential._modules[first] = fuse_conv_bn_eval(conv, norm)
            sequential._modules[second] = nn.Identity()
            folded += 1
    return folded


def fold_batchnorm(model: nn.Module) -> tuple[nn.Module, int]:
    """An eval-mode copy of ``model`` with every (Conv2d, BatchNorm2d) pair of a Sequential
    folded into the convolution, and how many pairs were folded. ``model`` is not changed
    (it may be training elsewhere); attributes set on it (configuration, recommended
    settings) come along with the copy."""
    folded_model = copy.deepcopy(model).eval()
    folded = 0
    for module in folded_model.modules():
        if isinstance(module, nn.Sequential):
            folded += _fold_sequential(module)
    return folded_model, folded
