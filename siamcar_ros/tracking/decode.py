"""Turning the head's maps into a box: the paper's coarse-to-fine decoding and the public one.

Both strategies read the same inputs, already on the host as numpy arrays (one
device-to-host copy per frame, made by the tracker):

- ``cls``: ``SxS`` foreground probability (softmax over the two class logits, channel 1),
- ``cen``: ``SxS`` raw centre-ness logits,
- ``loc``: ``4xSxS`` distances l, t, r, b in search-crop pixels,

and return a :class:`Decoded`: where the target centre is in the search crop (relative to
the crop centre), its size in search-crop pixels, the size-smoothing rate and the scores at
the chosen point. Cell (i, j) sits at search-crop pixel (offset + stride j, offset + stride i)
with offset = (search_size - 1) / 2 - stride (S - 1) / 2, so nothing here assumes S = 25.

Strategies (method.md, "Tracking"):

``coarse_to_fine``
    Eq. 9: argmax over cells of (1 - wi) cls P cen + wi H, with cen the sigmoid of the
    logits, P the scale/ratio penalty and H a Hanning window; the coarse box is the l, t, r, b
    at that cell. Eq. 10-11: the cells inside the coarse box form the RoI; the centre-ness and
    the four regression maps are upsampled over the RoI by bicubic interpolation with factor
    ``stride`` (sample u of the RoI is exactly search pixel offset + stride j0 + u); the centre
    is the argmax of the upsampled centre-ness and the size is l + r, t + b there. Only the
    centre-ness is upsampled over the RoI; the other maps are interpolated at the chosen
    point alone (the same values, without upsampling maps that are read once).

``coarse_to_fine_box``
    ``coarse_to_fine`` with one change in the last step: the new centre is the centre of the
    box regressed at the refined point, (x + (r - l) / 2, y + (b - t) / 2), instead of the
    point itself. The paper takes the point (it notes l ~ r and t ~ b there); on a stride-16
    map, where the centre-ness peak is coarse, the regressed box places the centre better.

``reference``
    The authors' public decoding, so published weights behave as published: min-max
    normalised centre-ness, the whole maps resized to (S-1) stride + 1 with ``cv2.INTER_CUBIC``,
    a coarse cell from the windowed score, a mask around it whose half extents are the coarse
    l, t, r, b clipped to [0.1, 0.44] x template size and halved, the argmax of the penalised
    score inside the mask (upsampled point (r, c) is search pixel (r + offset, c + offset)).
    Two deliberate differences from that code: the coarse cell index is clipped to 0..S-1
    (the public code clips to S and fails when the peak is on the last row or column), and
    its size-smoothing penalty is reproduced as written there (it compares the new size in
    image pixels with the old size in crop pixels).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "STRATEGIES",
    "CropGeometry",
    "Decoded",
    "decode",
    "coarse_to_fine_decode",
    "reference_decode",
    "hanning_window",
    "scale_ratio_penalty",
    "cell_offset",
]

STRATEGIES = ("coarse_to_fine", "coarse_to_fine_box", "reference")

# Half-extent limits of the reference strategy's search mask, as fractions of the template size.
REFERENCE_REGION_SMALL = 0.1
REFERENCE_REGION_LARGE = 0.44


@dataclass(frozen=True)
class CropGeometry:
    """Sizes that tie the score map to the search crop (the model's attributes)."""

    template_size: int = 127
    search_size: int = 255
    score_size: int = 25
    stride: int = 8

    @property
    def offset(self) -> float:
        return cell_offset(self.search_size, self.score_size, self.stride)


@dataclass(frozen=True)
class Decoded:
    """One decoded frame, in search-crop pixels.

    ``displacement`` is (dx, dy) of the new centre from the crop centre; ``size`` is the
    predicted (w, h); ``size_rate`` is the blend rate lr = P cls lr for the size update;
    ``point`` is the chosen (x, y) search-crop pixel; ``confidence`` is the foreground score and
    ``centerness`` the centre-ness (sigmoid) there, both in 0..1; ``score_map`` is the SxS
    map whose argmax gave the coarse cell (for debugging).
    """

    displacement: tuple[float, float]
    size: tuple[float, float]
    size_rate: float
    point: tuple[float, float]
    confidence: float
    centerness: float
    coarse_cell: tuple[int, int]
    score_map: np.ndarray


def cell_offset(search_size: int, score_size: int, stride: int) -> float:
    """Search-crop pixel of cell 0: centres the score grid on the crop."""
    return (search_size - 1) / 2.0 - stride * (score_size - 1) / 2.0


def hanning_window(score_size: int) -> np.ndarray:
    """Outer product of two Hanning windows (zero at the borders, as the public code uses)."""
    hanning = np.hanning(score_size)
    return np.outer(hanning, hanning)


def _size_measure(width, height):
    pad = (width + height) * 0.5
    return np.sqrt((width + pad) * (height + pad))


def _change(ratio):
    return np.maximum(ratio, 1.0 / ratio)


def scale_ratio_penalty(width, height, previous_width, previous_height, penalty_k: float):
    """P = exp(-(r_c s_c - 1) k) for predicted sizes against the previous size (same units)."""
    width = np.maximum(width, 1e-6)
    height = np.maximum(height, 1e-6)
    scale_change = _change(
        _size_measure(width, height) / _size_measure(previous_width, previous_height)
    )
    ratio_change = _change((previous_width / previous_height) / (width / height))
    return np.exp(-(ratio_change * scale_change - 1.0) * penalty_k)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _cubic_weights(positions: np.ndarray, length: int) -> np.ndarray:
    """Matrix (len(positions) x length) sampling a 1-D signal at fractional positions.

    Bicubic convolution with a = -0.75 (OpenCV's and torch's kernel), edge samples repeated.
    """
    a = -0.75
    base = np.floor(positions).astype(np.int64)
    frac = positions - base
    weights = np.zeros((len(positions), length), dtype=np.float64)
    for tap in range(-1, 3):
        distance = np.abs(frac - tap)
        near = ((a + 2) * distance - (a + 3)) * distance * distance + 1
        far = ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a
        kernel = np.where(distance <= 1, near, np.where(distance < 2, far, 0.0))
        index = np.clip(base + tap, 0, length - 1)
        # one index per row within a tap, so a plain fancy += adds every weight (taps clipped
        # onto the same edge sample add up across taps)
        weights[np.arange(len(positions)), index] += kernel
    return weights


def _region_weights(rows: tuple[int, int], cols: tuple[int, int], factor: int, shape):
    """Row and column sampling matrices of the bicubic upsampling by ``factor`` of cells
    rows[0]..rows[1], cols[0]..cols[1] (inclusive) of an ``shape`` (S x S) map.

    Corner-aligned: output sample u of the region lies at cell rows[0] + u / factor, so the
    output has (n - 1) factor + 1 samples per axis. Neighbouring cells outside the region feed
    the cubic kernel, so the region's edges are not distorted. The upsampled region of a map
    ``m`` is ``row_weights @ m @ col_weights.T``.
    """
    return (_axis_weights(int(rows[0]), int(rows[1]), int(factor), int(shape[-2])),
            _axis_weights(int(cols[0]), int(cols[1]), int(factor), int(shape[-1])))


@functools.lru_cache(maxsize=512)
def _axis_weights(first: int, last: int, factor: int, length: int) -> np.ndarray:
    """One axis of ``_region_weights``; the few ranges a map has are computed once (read-only)."""
    weights = _cubic_weights(first + np.arange((last - first) * factor + 1) / factor, length)
    weights.flags.writeable = False
    return weights


def _coarse_cell(score: np.ndarray) -> tuple[int, int]:
    row, col = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(row), int(col)


def _roi_cells(box, cell, geometry: CropGeometry, score_size: int):
    """Row and column ranges (first, last) of the cells whose pixel locations fall inside box.

    ``box`` is (x0, y0, x1, y1) in search-crop pixels; ``cell`` (row, col) is always included.
    """
    offset, stride = geometry.offset, geometry.stride

    def axis_range(low, high, center_cell):
        first = int(np.ceil((low - offset) / stride))
        last = int(np.floor((high - offset) / stride))
        return min(max(first, 0), center_cell), max(min(last, score_size - 1), center_cell)

    return axis_range(box[1], box[3], cell[0]), axis_range(box[0], box[2], cell[1])


def coarse_to_fine_decode(
    cls: np.ndarray,
    cen: np.ndarray,
    loc: np.ndarray,
    previous_size_crop: tuple[float, float],
    penalty_k: float,
    window_influence: float,
    lr: float,
    geometry: CropGeometry,
    window: np.ndarray | None = None,
    centre_from_box: bool = False,
    cell_mask: np.ndarray | None = None,
) -> Decoded:
    """The paper's Eq. 9-11 (see the module docstring); ``centre_from_box`` gives the
    ``coarse_to_fine_box`` strategy; ``cell_mask`` (SxS, 0 or 1) limits the coarse cell to the
    cells it marks (distractor-aware tracking keeps the target's own peak)."""
    score_size = cls.shape[-1]
    window = hanning_window(score_size) if window is None else window
    centerness = _sigmoid(cen)
    widths, heights = loc[0] + loc[2], loc[1] + loc[3]
    penalty = scale_ratio_penalty(widths, heights, *previous_size_crop, penalty_k)
    score = (1.0 - window_influence) * cls * penalty * centerness + window_influence * window
    row, col = _coarse_cell(score if cell_mask is None else np.where(cell_mask > 0, score, -np.inf))
    offset, stride = geometry.offset, geometry.stride
    x, y = offset + stride * col, offset + stride * row
    l, t, r, b = loc[:, row, col]
    rows, cols = _roi_cells((x - l, y - t, x + r, y + b), (row, col), geometry, score_size)
    row_weights, col_weights = _region_weights(rows, cols, stride, cls.shape)
    # Only the centre-ness is needed over the whole RoI (for its argmax); the other maps are
    # read at that one point, which costs a dot product instead of an upsampled map each.
    upsampled_centerness = row_weights @ centerness @ col_weights.T
    u, v = np.unravel_index(int(np.argmax(upsampled_centerness)), upsampled_centerness.shape)
    l_up, t_up, r_up, b_up, cls_up = (
        float(row_weights[u] @ values @ col_weights[v]) for values in (*loc, cls))
    point_x = offset + stride * cols[0] + v
    point_y = offset + stride * rows[0] + u
    width, height = l_up + r_up, t_up + b_up
    confidence = float(np.clip(cls_up, 0.0, 1.0))
    size_penalty = float(scale_ratio_penalty(width, height, *previous_size_crop, penalty_k))
    center = (geometry.search_size - 1) / 2.0
    centre_x, centre_y = point_x, point_y
    if centre_from_box:
        centre_x, centre_y = point_x + (r_up - l_up) / 2.0, point_y + (b_up - t_up) / 2.0
    return Decoded(
        displacement=(float(centre_x - center), float(centre_y - center)),
        size=(width, height),
        size_rate=size_penalty * confidence * lr,
        point=(float(point_x), float(point_y)),
        confidence=confidence,
        centerness=float(np.clip(upsampled_centerness[u, v], 0.0, 1.0)),
        coarse_cell=(row, col),
        score_map=score,
    )


def _reference_mask_bounds(peak, coarse_loc, upsize: int, template_size: int):
    """Half extents (l, t, r, b) of the reference strategy's search mask around ``peak``."""
    row, col = peak
    smallest = int(REFERENCE_REGION_SMALL * template_size)
    largest = int(REFERENCE_REGION_LARGE * template_size)
    l, t, r, b = np.clip(coarse_loc, smallest, largest)
    return (
        int(min(col, l) / 2.0),
        int(min(row, t) / 2.0),
        int(min(upsize - col, r) / 2.0),
        int(min(upsize - row, b) / 2.0),
    )


def reference_decode(
    cls: np.ndarray,
    cen: np.ndarray,
    loc: np.ndarray,
    previous_size_crop: tuple[float, float],
    penalty_k: float,
    window_influence: float,
    lr: float,
    geometry: CropGeometry,
    window: np.ndarray | None = None,
    scale_z: float = 1.0,
    cell_mask: np.ndarray | None = None,
) -> Decoded:
    """The authors' public decoding (see the module docstring); ``cell_mask`` as in
    ``coarse_to_fine_decode``."""
    score_size = cls.shape[-1]
    window = hanning_window(score_size) if window is None else window
    spread = float(np.ptp(cen))
    centerness = (cen - cen.min()) / spread if spread > 0 else np.ones_like(cen)
    penalty = scale_ratio_penalty(loc[0] + loc[2], loc[1] + loc[3], *previous_size_crop, penalty_k)
    penalised = penalty * cls * centerness
    windowed = penalised * (1.0 - window_influence) + window * window_influence
    if cell_mask is not None:
        windowed, penalised = windowed * cell_mask, penalised * cell_mask
    upsize = (score_size - 1) * geometry.stride + 1
    small = np.stack([windowed, penalised, cls, cen, *loc], axis=-1).astype(np.float32)
    upsampled = cv2.resize(small, (upsize, upsize), interpolation=cv2.INTER_CUBIC)
    peak = _coarse_cell(upsampled[..., 0])
    cells_per_sample = upsize / score_size
    coarse = tuple(int(np.clip(round(p / cells_per_sample), 0, score_size - 1)) for p in peak)
    half_l, half_t, half_r, half_b = _reference_mask_bounds(
        peak, loc[:, coarse[0], coarse[1]], upsize, geometry.template_size
    )
    masked = np.zeros_like(upsampled[..., 1])
    top, left = max(peak[0] - half_t, 0), max(peak[1] - half_l, 0)
    masked[top : peak[0] + half_b + 1, left : peak[1] + half_r + 1] = upsampled[
        top : peak[0] + half_b + 1, left : peak[1] + half_r + 1, 1
    ]
    u, v = _coarse_cell(masked)
    point_x, point_y = v + geometry.offset, u + geometry.offset
    width = float(upsampled[u, v, 4] + upsampled[u, v, 6])
    height = float(upsampled[u, v, 5] + upsampled[u, v, 7])
    confidence = float(np.clip(upsampled[u, v, 2], 0.0, 1.0))
    # As published: the new size in image pixels against the previous size in crop pixels.
    size_penalty = float(
        scale_ratio_penalty(width / scale_z, height / scale_z, *previous_size_crop, penalty_k)
    )
    center = (geometry.search_size - 1) / 2.0
    return Decoded(
        displacement=(float(point_x - center), float(point_y - center)),
        size=(width, height),
        size_rate=size_penalty * float(upsampled[u, v, 2]) * lr,
        point=(float(point_x), float(point_y)),
        confidence=confidence,
        centerness=float(_sigmoid(upsampled[u, v, 3])),
        coarse_cell=coarse,
        score_map=windowed,
    )


def decode(strategy: str, cls, cen, loc, previous_size_crop, params, geometry, window=None,
           scale_z: float = 1.0, cell_mask=None) -> Decoded:
    """Dispatch by strategy name; ``params`` supplies penalty_k, window_influence and lr."""
    common = dict(
        cell_mask=cell_mask,
        previous_size_crop=previous_size_crop,
        penalty_k=params.penalty_k,
        window_influence=params.window_influence,
        lr=params.lr,
        geometry=geometry,
        window=window,
    )
    if strategy in ("coarse_to_fine", "coarse_to_fine_box"):
        return coarse_to_fine_decode(cls, cen, loc, centre_from_box=strategy == "coarse_to_fine_box",
                                     **common)
    if strategy == "reference":
        return reference_decode(cls, cen, loc, scale_z=scale_z, **common)
    raise ValueError(f"unknown decoding strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
