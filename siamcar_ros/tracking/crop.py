"""Template and search crops, made on the device the network runs on.

Geometry (method.md, "Crops"): a target of size (w, h) with context amount ``c`` gets a
square context region of side ``s_z = sqrt((w + c(w+h)) (h + c(w+h)))``. The template crop
takes ``round(s_z)`` image pixels around the target centre and resizes them to 127x127; the
search crop takes ``round(s_z * 255 / 127)`` pixels and resizes them to 255x255. The window's
top-left corner is ``floor(centre - (side + 1) / 2 + 0.5)`` on each axis. Pixels of the
window that fall outside the image take the per-channel mean of the first frame.

The frame arrives once per frame as an ``HxWx3`` uint8 tensor on the device. Instead of
building the padded window (which for a large target can be many times the image) and
resizing it, :func:`crop_and_resize` computes, per output row and column, the two source
pixels and weights that OpenCV's ``INTER_LINEAR`` resize would use on the padded window
(half-pixel centres, no anti-aliasing, edge samples clamped to the window), gathers only
those pixels, and substitutes the mean for the ones outside the image. The result equals
"pad with the mean, then ``cv2.resize(..., INTER_LINEAR)``" up to float rounding, and its
cost does not depend on the size of the window.

The authors' public code makes its crops in uint8: the padding colour is the per-channel mean
truncated to an integer, and the window is resized as a uint8 image (so every crop pixel is
rounded). :func:`authors_crop` does exactly that; the ``reference`` strategy uses it, so that
``reference`` reproduces their boxes and not only their decoding (the float crop alone moves
boxes by tens of pixels on some sequences).

On the CPU, :func:`crop_and_resize_host` makes the same crop straight from the numpy frame
with OpenCV (mean padding of the float window, then ``cv2.resize``), which costs a fraction
of a millisecond where the gather's many small tensor operations cost milliseconds (and far
more when other processes compete for the cores). Very large windows, whose padded copy
would dominate, take the same gather of the read pixels in numpy instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch

__all__ = [
    "CropWindow",
    "context_side",
    "crop_window",
    "crop_and_resize",
    "crop_and_resize_host",
    "authors_crop",
    "frame_to_tensor",
    "channel_mean",
]


# On the host, windows up to this many times the output side are padded and resized by
# OpenCV; larger ones gather only the pixels the interpolation reads (the padded copy of a
# window grows with its area, the gather does not).
HOST_PADDED_RESIZE_MAX_RATIO = 4


@dataclass(frozen=True)
class CropWindow:
    """A square window of the image: top-left pixel (x0, y0) and side length in pixels."""

    x0: int
    y0: int
    side: int


def context_side(size_wh, context_amount: float) -> float:
    """Side ``s_z`` of the square context region around a target of size (w, h), unrounded."""
    width, height = float(size_wh[0]), float(size_wh[1])
    context = context_amount * (width + height)
    return math.sqrt((width + context) * (height + context))


def crop_window(center_xy, side: int) -> CropWindow:
    """The window of ``side`` pixels centred on ``center_xy`` (the public implementation's rule)."""
    if side < 1:
        raise ValueError(f"crop side must be at least 1 pixel, got {side}")
    offset = (side + 1) / 2.0
    x0 = math.floor(float(center_xy[0]) - offset + 0.5)
    y0 = math.floor(float(center_xy[1]) - offset + 0.5)
    return CropWindow(int(x0), int(y0), int(side))


def frame_to_tensor(frame_bgr: np.ndarray, device: torch.device) -> torch.Tensor:
    """Upload an ``HxWx3`` uint8 frame to ``device`` as-is (no copy on the CPU)."""
    return torch.from_numpy(np.ascontiguousarray(frame_bgr)).to(device, non_blocking=True)


def channel_mean(frame: torch.Tensor) -> torch.Tensor:
    """Per-channel mean of an ``HxWx3`` frame tensor, float32 of shape (3,)."""
    return frame.reshape(-1, frame.shape[-1]).float().mean(dim=0)


def _linear_samples(start: int, side: int, out_size: int, limit: int, device: torch.device):
    """Source pixels and weights along one axis, as cv2 INTER_LINEAR reads the window.

    Returns image indices of the lower and upper neighbour (clamped into the image for the
    gather), the weight of the upper neighbour, and masks telling which neighbours really lie
    inside the image (the others read the padding mean).
    """
    lower_img, upper_img, upper_weight = _host_samples(start, side, out_size)
    lower_inside = (lower_img >= 0) & (lower_img < limit)
    upper_inside = (upper_img >= 0) & (upper_img < limit)
    lower_img, upper_img = np.clip(lower_img, 0, limit - 1), np.clip(upper_img, 0, limit - 1)
    return tuple(torch.from_numpy(values).to(device)
                 for values in (lower_img, upper_img, upper_weight, lower_inside, upper_inside))


def crop_and_resize(
    frame: torch.Tensor, window: CropWindow, out_size: int, pad_value: torch.Tensor
) -> torch.Tensor:
    """Crop ``window`` from an ``HxWxC`` uint8 frame tensor, pad with ``pad_value``, resize.

    Returns a float32 ``1xCxout_sizexout_size`` tensor of raw 0..255 values on the frame's
    device, channels in the frame's order (BGR for the tracker).
    """
    height, width = int(frame.shape[0]), int(frame.shape[1])
    device = frame.device
    ys = _linear_samples(window.y0, window.side, out_size, height, device)
    xs = _linear_samples(window.x0, window.side, out_size, width, device)
    row_index = torch.cat([ys[0], ys[1]])
    col_index = torch.cat([xs[0], xs[1]])
    # One gather of the 2*out_size x 2*out_size pixels the interpolation reads.
    pixel_index = (row_index[:, None] * width + col_index[None, :]).reshape(-1)
    channels = frame.shape[-1]
    patch = frame.reshape(-1, channels).index_select(0, pixel_index).float()
    patch = patch.reshape(2 * out_size, 2 * out_size, channels)
    row_inside = torch.cat([ys[3], ys[4]])
    col_inside = torch.cat([xs[3], xs[4]])
    inside = (row_inside[:, None] & col_inside[None, :])[..., None]
    patch = torch.where(inside, patch, pad_value.to(device=device, dtype=patch.dtype))
    rows = torch.lerp(patch[:out_size], patch[out_size:], ys[2][:, None, None])
    resized = torch.lerp(rows[:, :out_size], rows[:, out_size:], xs[2][None, :, None])
    return resized.permute(2, 0, 1).unsqueeze(0).contiguous()


def _inside_slice(start: int, side: int, limit: int) -> tuple[slice, int, int]:
    """The part of [start, start + side) inside [0, limit), and the padding before / after it."""
    before = min(max(0, -start), side)
    after = min(max(0, start + side - limit), side - before)
    return slice(start + before, start + side - after), before, after


def _padded_resize(frame: np.ndarray, window: CropWindow, out_size: int,
                   pad_value: np.ndarray) -> np.ndarray:
    rows, top, bottom = _inside_slice(window.y0, window.side, frame.shape[0])
    cols, left, right = _inside_slice(window.x0, window.side, frame.shape[1])
    inside = frame[rows, cols]
    if inside.size == 0:  # the window lies wholly outside the image
        return np.broadcast_to(pad_value, (out_size, out_size, frame.shape[-1])).astype(np.float32)
    # Padding the float window keeps the mean unrounded (uint8 padding would round it).
    window_pixels = inside.astype(np.float32)
    if top or bottom or left or right:
        window_pixels = cv2.copyMakeBorder(window_pixels, top, bottom, left, right,
                                           cv2.BORDER_CONSTANT, value=[float(v) for v in pad_value])
    resized = cv2.resize(window_pixels, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    return resized.reshape(out_size, out_size, frame.shape[-1])


def _host_samples(start: int, side: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source pixels along one axis, as cv2 INTER_LINEAR reads the window: image indices of the
    lower and upper neighbour (non-decreasing, not clamped into the image) and the upper
    neighbour's weight, float32. :func:`_linear_samples` makes the device's tensors from them."""
    source = np.maximum((np.arange(out_size, dtype=np.float64) + 0.5) * (side / out_size) - 0.5, 0.0)
    lower = np.minimum(np.floor(source).astype(np.int64), side - 1)
    upper = np.minimum(lower + 1, side - 1)
    weight = np.clip(source - lower, 0.0, 1.0).astype(np.float32)
    return lower + start, upper + start, weight


def _sampled_grid(frame: np.ndarray, rows: np.ndarray, cols: np.ndarray, pad_value: np.ndarray) -> np.ndarray:
    """``frame[rows][:, cols]`` as float32, with ``pad_value`` where an index falls outside the
    image. The indices do not decrease, so the inside ones are one run on each axis: only that
    block is gathered, and OpenCV pads it (a per-channel numpy fill costs far more)."""
    height, width = frame.shape[:2]
    row_first, row_end = (int(v) for v in np.searchsorted(rows, (0, height)))
    col_first, col_end = (int(v) for v in np.searchsorted(cols, (0, width)))
    if row_first >= row_end or col_first >= col_end:
        return np.broadcast_to(pad_value, (len(rows), len(cols), frame.shape[-1]))
    inside = frame.take(rows[row_first:row_end], axis=0).take(cols[col_first:col_end], axis=1)
    return cv2.copyMakeBorder(inside.astype(np.float32), row_first, len(rows) - row_end, col_first,
                              len(cols) - col_end, cv2.BORDER_CONSTANT, value=[float(v) for v in pad_value])


def _gathered_resize(frame: np.ndarray, window: CropWindow, out_size: int,
                     pad_value: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    if window.x0 >= width or window.y0 >= height or window.x0 + window.side <= 0 or window.y0 + window.side <= 0:
        return np.broadcast_to(pad_value, (out_size, out_size, frame.shape[-1])).astype(np.float32)
    lower_rows, upper_rows, row_weight = _host_samples(window.y0, window.side, out_size)
    lower_cols, upper_cols, col_weight = _host_samples(window.x0, window.side, out_size)
    row_weight, col_weight = row_weight[:, None, None], col_weight[None, :, None]
    # the four neighbours of every output pixel, each an out_size x out_size grid
    top_left = _sampled_grid(frame, lower_rows, lower_cols, pad_value)
    top_right = _sampled_grid(frame, lower_rows, upper_cols, pad_value)
    left = top_left + (_sampled_grid(frame, upper_rows, lower_cols, pad_value) - top_left) * row_weight
    right = top_right + (_sampled_grid(frame, upper_rows, upper_cols, pad_value) - top_right) * row_weight
    return left + (right - left) * col_weight


def crop_and_resize_host(frame: np.ndarray, window: CropWindow, out_size: int,
                         pad_value) -> np.ndarray:
    """:func:`crop_and_resize` on the host: the same crop from an ``HxWxC`` uint8 numpy frame.

    Returns a float32 ``out_size x out_size x C`` array of raw 0..255 values; ``pad_value`` is
    the per-channel padding (array-like of C floats).
    """
    pad_value = np.asarray(pad_value, dtype=np.float32).reshape(frame.shape[-1])
    if window.side <= HOST_PADDED_RESIZE_MAX_RATIO * out_size:
        return _padded_resize(frame, window, out_size, pad_value)
    return _gathered_resize(frame, window, out_size, pad_value)


def authors_crop(frame: np.ndarray, window: CropWindow, out_size: int, pad_value) -> np.ndarray:
    """The crop as the authors' code makes it: a uint8 window padded with the channel mean
    truncated to an integer, resized as uint8 with ``cv2.INTER_LINEAR``; returned as float32
    ``out_size x out_size x C``. Only the part of the window inside the image, and the
    padding the window needs, is built."""
    height, width = frame.shape[:2]
    channels = frame.shape[2]
    fill = np.asarray(pad_value, dtype=np.float64).reshape(channels).astype(np.uint8)
    x0, y0, side = window.x0, window.y0, window.side
    patch = np.empty((side, side, channels), np.uint8)
    patch[:] = fill
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = min(side, width - x0), min(side, height - y0)
    if right > left and bottom > top:
        patch[top:bottom, left:right] = frame[y0 + top:y0 + bottom, x0 + left:x0 + right]
    if side != out_size:
        patch = cv2.resize(patch, (out_size, out_size))
    return patch.astype(np.float32)
