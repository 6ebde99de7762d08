"""Depth-wise cross-correlation of search features with template features."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def xcorr_depthwise(search: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Correlate each channel of ``search`` (B x C x H x W) with the same channel of
    ``kernel`` (B x C x h x w), sample by sample: B x C x (H-h+1) x (W-w+1).

    The batch is folded into the channel axis so one grouped convolution does it all.
    """
    if search.dim() != 4 or kernel.dim() != 4 or search.shape[:2] != kernel.shape[:2]:
        raise ValueError("xcorr_depthwise needs B x C x H x W search and kernel with the same "
                         f"B and C, got {tuple(search.shape)} and {tuple(kernel.shape)}")
    batch, channels = kernel.shape[:2]
    folded_search = search.reshape(1, batch * channels, search.size(2), search.size(3))
    folded_kernel = kernel.reshape(batch * channels, 1, kernel.size(2), kernel.size(3))
    response = F.conv2d(folded_search, folded_kernel, groups=batch * channels)
    return response.reshape(batch, channels, response.size(2), response.size(3))


def xcorr_depthwise_slices(search: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The same correlation as a sum of kernel-weighted shifted slices of ``search``: only
    Slice, Mul and Add, so exported graphs need no convolution with non-constant weights (which
    TensorRT's ONNX parser refuses). h x w products; slower than the grouped convolution in
    eager PyTorch, meant for export."""
    if search.dim() != 4 or kernel.dim() != 4 or search.shape[:2] != kernel.shape[:2]:
        raise ValueError("xcorr_depthwise_slices needs B x C x H x W search and kernel with the "
                         f"same B and C, got {tuple(search.shape)} and {tuple(kernel.shape)}")
    kernel_h, kernel_w = int(kernel.size(2)), int(kernel.size(3))
    out_h, out_w = int(search.size(2)) - kernel_h + 1, int(search.size(3)) - kernel_w + 1
    response = None
    for i in range(kernel_h):
        for j in range(kernel_w):
            term = search[:, :, i:i + out_h, j:j + out_w] * kernel[:, :, i:i + 1, j:j + 1]
            response = term if response is None else response + term
    return response
