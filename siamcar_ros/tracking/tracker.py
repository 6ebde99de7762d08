"""The SiamCAR tracker: target state, one crop -> network -> decode step per frame.

Per frame on a GPU: the frame is uploaded once (uint8), the search crop is made on the
device, the network runs against the template features computed at ``init``, the small maps
come back to the host in one copy, and decoding (:mod:`.decode`) plus the state update run in
numpy. On the CPU the crop is made by OpenCV straight from the numpy frame (the same crop,
:func:`.crop.crop_and_resize_host`), which is cheaper there than tensor operations.

State handling: every input is checked before anything changes, and the new state is
committed only after the whole step succeeded, so an error leaves the tracker as it was.
A frame whose size differs from the ``init`` frame is refused (the target's coordinates and
the padding colour belong to the first frame); call ``init`` again for a new stream.

Boxes are (x, y, w, h). ``init`` takes the centre as (x + (w-1)/2, y + (h-1)/2) and ``track``
reports (cx - w/2, cy - h/2, w, h), as the published implementation does (its crop window
places the target about half a pixel right of / below the crop centre, which this offsets).
"""
from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np
import torch

from siamcar_ros.model.fold import fold_batchnorm

from .accelerate import Acceleration, build_search_extractor
from .crop import (CropWindow, authors_crop, context_side, crop_and_resize, crop_and_resize_host,
                   crop_window, frame_to_tensor)
from .confidence import box_colours, colour_consistency, colour_shift, peak_score, score_map
from .decode import CropGeometry, Decoded, decode, hanning_window
from .distractors import Distractors, DistractorSettings, RivalFigures, cell_mask, response_peaks
from .precision import resolve_half, resolve_precision, select_device
from .inputs import TrackerInputError, as_bgr_frame, check_box
from .params import TrackerParams, resolve_tracker_params
from .step_graph import stacked_maps
from .verifier import Verifier, box_patch

as_params = resolve_tracker_params   # the name the tracker has always used

__all__ = ["Candidate", "SiamCARTracker", "TrackResult", "TargetGeometry", "TrackerInputError",
           "TrackerStateError", "best_cell", "choose_backend", "debug_maps", "judge_rivals", "model_crop",
           "next_target_state", "as_params"]

LOGGER = logging.getLogger(__name__)

# Smallest width/height the state may shrink to, in image pixels (the public code allows 0,
# which makes the next frame's aspect ratio undefined).
MIN_TARGET_SIZE = 1.0


class TrackerStateError(RuntimeError):
    """``track`` called before ``init`` (or after ``reset``)."""


@dataclass(frozen=True)
class TrackResult:
    """One tracked frame: box (x, y, w, h) in image pixels; ``confidence`` (0..1, see
    ``confidence.py``: the peak of cls x centre-ness before window and penalties, times the
    colour consistency and the box verifier's answer), the foreground score and centre-ness at
    the chosen point (both 0..1), the raw maps when asked for, ``peak``, ``colour_shift`` and
    ``verification`` (the confidence's parts; ``verification``: the verifier's P(same object),
    1.0 without a verifier); ``rivals``: the look-alikes around the target (``distractors.py``)."""

    bbox: tuple[float, float, float, float]
    confidence: float
    centerness: float
    maps: dict[str, Any] | None = None
    foreground: float = 0.0
    peak: float = 0.0
    colour_shift: float = 0.0
    verification: float = 1.0
    rivals: RivalFigures = RivalFigures()


@dataclass(frozen=True)
class Candidate:
    """Where a re-detection crop sees the target best: score (peak cls x centre-ness times
    the colour consistency and the verifier's answer for the box there, 0..1), centre (cx, cy)
    and size (w, h) in image pixels."""

    score: float
    center: tuple[float, float]
    size: tuple[float, float]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return box_from_state(self.center, self.size)


@dataclass(frozen=True)
class TargetGeometry:
    """Where the tracker holds the target: centre (cx, cy) and size (w, h) in image pixels,
    plus what ``init`` fixed (the frame size and the crops' context amount)."""

    center: tuple[float, float]
    size: tuple[float, float]
    frame_size: tuple[int, int]  # (width, height)
    context_amount: float


def next_target_state(center, size, decoded: Decoded, scale_z: float, frame_size) -> tuple:
    """New (center, size) in image pixels from a decoded frame; clipped to the frame.

    The centre moves by the decoded displacement / scale_z; the size is blended with rate
    lr = P cls lr (``decoded.size_rate``, limited to 0..1); the centre is clipped to
    [0, width] x [0, height] and the size to [MIN_TARGET_SIZE, width] x [.., height].
    """
    frame_width, frame_height = frame_size
    rate = float(np.clip(decoded.size_rate, 0.0, 1.0))
    cx = center[0] + decoded.displacement[0] / scale_z
    cy = center[1] + decoded.displacement[1] / scale_z
    width = rate * decoded.size[0] / scale_z + (1.0 - rate) * size[0]
    height = rate * decoded.size[1] / scale_z + (1.0 - rate) * size[1]
    return (
        (float(np.clip(cx, 0, frame_width)), float(np.clip(cy, 0, frame_height))),
        (float(np.clip(width, MIN_TARGET_SIZE, max(frame_width, MIN_TARGET_SIZE))),
         float(np.clip(height, MIN_TARGET_SIZE, max(frame_height, MIN_TARGET_SIZE)))),
    )


def choose_backend(model, exported, accelerator: str, device: torch.device, half: bool, precision: str,
                   calibration) -> tuple[Any, Acceleration]:
    """How the search branch runs: the exported network at the prefix ``exported`` when it
    loads (fp32), else the accelerator ``build_search_extractor`` sets up; an exported network
    that cannot be used is named in a warning and in the note."""
    from .exported import ExportedNetworkError, load_exported_network

    refused = ""
    if exported:
        try:
            network, _ = load_exported_network(exported, model, device)
            return network, Acceleration("exported", None, f"exported network {network.paths[1]} ({network.kind})")
        except ExportedNetworkError as error:
            LOGGER.warning("exported network not used: %s; running the PyTorch network", error)
            refused = str(error)
    acceleration = build_search_extractor(model, accelerator, device, half, precision, calibration)
    if refused:
        acceleration = Acceleration(acceleration.kind, acceleration.extractor,
                                    f"exported network not used ({refused}); {acceleration.note}")
    return None, acceleration


def network_maps(model, exported, acceleration: Acceleration, search: torch.Tensor, template) -> np.ndarray:
    """The 6 x S x S maps (``step_graph.stacked_maps``) of a search crop against the template
    features, on the host: from the step's graph, the exported files, or the model (its search
    branch compiled when there is an extractor: the reduced precision's share of the work; the
    correlation and head stay in fp32, as box offsets of tens of pixels in bfloat16 would move
    boxes by a fraction of a pixel every frame)."""
    if acceleration.step is not None:
        return acceleration.step(search, template)
    if exported is not None:
        return stacked_maps(exported.track(search, template)).cpu().numpy()
    extractor = acceleration.extractor
    features = model.search_features(search) if extractor is None else list(extractor(search))
    return stacked_maps(model.track_features(features, template)).cpu().numpy()


def debug_maps(maps, decoded: Decoded, scale_z: float, search_side: int) -> dict[str, Any]:
    """A tracked frame's maps for inspection (``track(..., return_maps=True)``)."""
    cls, cen, loc = maps
    return {
        "cls": cls,                                   # SxS foreground probability
        "cen": 1.0 / (1.0 + np.exp(-cen)),            # SxS centre-ness (sigmoid)
        "loc": loc,                                   # 4xSxS l, t, r, b in search-crop pixels
        "score": decoded.score_map,                   # SxS map of the coarse argmax
        "coarse_cell": decoded.coarse_cell,           # (row, col)
        "point": decoded.point,                       # chosen (x, y) in search-crop pixels
        "scale_z": scale_z,                           # search-crop pixels per image pixel
        "search_side": search_side,                   # image pixels covered by the search crop
    }


def best_cell(cls, cen, loc, geometry: CropGeometry, center, scale: float, size):
    """A re-detection crop's best cell (highest cls x centre-ness): its score, the centre in
    image pixels of the box regressed there, and that box's size kept within a factor 2 of
    ``size`` (the size the target was last tracked at)."""
    scores = score_map(cls, cen)
    row, col = np.unravel_index(int(np.argmax(scores)), scores.shape)
    offset, stride = geometry.offset, geometry.stride
    left, top, right, bottom = (float(v) for v in loc[:, row, col])
    x = offset + stride * col + (right - left) / 2.0
    y = offset + stride * row + (bottom - top) / 2.0
    middle = (geometry.search_size - 1) / 2.0
    found = (center[0] + (x - middle) / scale, center[1] + (y - middle) / scale)
    width = float(np.clip((left + right) / scale, size[0] / 2, size[0] * 2))
    height = float(np.clip((top + bottom) / scale, size[1] / 2, size[1] * 2))
    return float(scores[row, col]), found, (width, height)


def model_crop(frame: np.ndarray, window: CropWindow, out_size: int, device: torch.device, strategy: str,
               pad_value: torch.Tensor, host_pad_value: np.ndarray) -> torch.Tensor:
    """A ``1x3xSxS`` float32 crop of ``frame`` on ``device``.

    CPU: OpenCV on the numpy frame (no tensor copy of the frame at all). Other devices: the
    uint8 frame is uploaded once and cropped there, so only it crosses the bus. The
    ``reference`` strategy takes the authors' uint8 crop (``authors_crop``), made on the host
    on every device, so that it reproduces their boxes.
    """
    if strategy == "reference":
        crop = authors_crop(frame, window, out_size, host_pad_value)
        tensor = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))[np.newaxis])
        return tensor.to(device, non_blocking=True)
    if device.type == "cpu":
        crop = crop_and_resize_host(frame, window, out_size, host_pad_value)
        # Contiguous NCHW: the backbone runs slower on the HWC array's channels-last view.
        # The copy is numpy's: torch would spread it over its worker threads, which can
        # cost milliseconds waiting for them when other processes hold the cores.
        return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))[np.newaxis])
    return crop_and_resize(frame_to_tensor(frame, device), window, out_size, pad_value)


def judge_rivals(distractors: Distractors, decoded: Decoded, maps, state: TargetGeometry, scale_z: float,
                 geometry: CropGeometry, decode_with) -> tuple[Decoded, RivalFigures]:
    """The decoded frame after distractor-aware judgement (``distractors.py``): as decoded,
    decoded again (``decode_with(cell_mask)``) limited to the target's own peak, or coasting on
    the target's predicted path (size kept) when a known rival is near."""
    cls, cen, loc = maps
    middle = (geometry.search_size - 1) / 2.0

    def to_image(x: float, y: float) -> tuple[float, float]:
        return state.center[0] + (x - middle) / scale_z, state.center[1] + (y - middle) / scale_z

    def centre_of(frame_decoded: Decoded) -> tuple[float, float]:
        return to_image(middle + frame_decoded.displacement[0], middle + frame_decoded.displacement[1])

    redecoded: list[Decoded] = []

    def redecode(cell) -> tuple[float, float]:
        redecoded.append(decode_with(cell_mask(cls.shape, cell)))
        return centre_of(redecoded[-1])

    peaks = response_peaks(cls, cen, loc, geometry.offset, geometry.stride, to_image,
                           distractors.settings.rival_ratio / 2)
    centre, figures = distractors.choose(peaks, centre_of(decoded), state.center, state.size, redecode)
    if figures.kept_from_rival:
        decoded = redecoded[-1]
    if figures.engaged:     # the boxes regressed over a target and a rival span both: size kept
        decoded = replace(decoded, size_rate=0.0)
    if figures.kept_from_rival:
        return decoded, figures
    if figures.coasted:
        displacement = ((centre[0] - state.center[0]) * scale_z, (centre[1] - state.center[1]) * scale_z)
        return replace(decoded, displacement=displacement,
                       size=(state.size[0] * scale_z, state.size[1] * scale_z), size_rate=0.0), figures
    return decoded, figures


def box_from_state(center, size) -> tuple[float, float, float, float]:
    return (center[0] - size[0] / 2, center[1] - size[1] / 2, size[0], size[1])


class SiamCARTracker:
    """Single-object tracker around a SiamCAR network (``siamcar_ros.model``).

    ``device``: "auto" | "cpu" | "cuda" | "cuda:N" (CPU fallback with a warning); ``half``: fp16
    on CUDA (ignored with a warning elsewhere). ``precision``: "fp32" | "bf16" (bfloat16 autocast
    on a CPU that has the instructions; refused with the reason elsewhere) | "int8" (the search
    branch quantized on the CPU; fp32 with a warning where it cannot be built).
    ``calibration``: what bf16 and int8 are set up and checked on, passed by the caller: 1 x 3
    x S x S search crops, or a function of the search size S that returns them (the tools'
    ``siamcar_ros.data.procedural.calibration.calibration_crops``); without it a reduced
    precision is a ``QuantizationError``; fp32 does not use it.
    ``accelerator``: "auto" | "none" | "export" | "tensorrt" | "onnxruntime" | "compile": how the
    search branch runs (``accelerate.py``; anything unavailable: eager PyTorch with a warning).
    ``exported``: the prefix of exported network files (``exported.py``: ONNX files in ONNX
    Runtime, TensorRT engines on CUDA) run in place of the PyTorch network, fp32 only; files
    that cannot be used are named in a warning and PyTorch runs. ``acceleration.note`` says
    what is in use. ``verifier``: a box verifier (``verifier.py``) whose answer joins the
    confidence (``TrackerParams.verifier_weight``); None: the confidence goes without.
    ``distractors``: distractor-aware tracking (``distractors.py``; its ``settings`` may change).
    ``last_timings``: seconds spent in the last ``track`` call's crop, network (with the one
    device-to-host copy of the maps) and decode stages.
    """

    def __init__(self, model: torch.nn.Module, params: TrackerParams | Mapping | str | None = None,
                 device: str | torch.device = "auto", half: bool = False,
                 accelerator: str = "auto", precision: str = "fp32", calibration=None,
                 exported: str | os.PathLike | None = None, verifier: Verifier | None = None,
                 distractors: DistractorSettings | None = None):
        # the settings the checkpoint was tuned with (load_checkpoint attaches them), if any
        self.recommended_params = dict(getattr(model, "recommended_tracker_params", None) or {})
        self._params = as_params(params, self.recommended_params)
        self.device = select_device(device)
        self.half = resolve_half(half, self.device)
        self.precision = resolve_precision(precision, self.device, accelerator, exported=bool(exported))
        # BatchNorm folded into its convolutions, in a copy: the caller's model stays as it was
        self.model = fold_batchnorm(model)[0].to(self.device).eval()
        if self.half:
            self.model.half()
        self.exported, self.acceleration = choose_backend(self.model, exported, accelerator, self.device,
                                                          self.half, self.precision, calibration)
        if self.precision == "int8" and self.acceleration.kind == "none":
            self.precision = "fp32"     # int8 fell back (the note and the warning say why)
        self.geometry = CropGeometry(int(model.template_size), int(model.search_size),
                                     int(model.score_size), int(model.stride))
        self._window = hanning_window(self.geometry.score_size)
        self._state: TargetGeometry | None = None
        self._pad_value, self._host_pad_value, self._template_features = None, None, None
        self.verifier = verifier.eval() if verifier is not None else None
        if self.verifier is not None and accelerator != "none":
            self.acceleration = replace(self.acceleration,
                                        note=f"{self.acceleration.note}; {self.verifier.run_in_onnxruntime()}")
        self.verifier_reference: np.ndarray | None = None
        self.distractors = Distractors(distractors)
        self.last_timings: dict[str, float] = {}

    # ---------------------------------------------------------------- properties
    @property
    def params(self) -> TrackerParams:
        return self._params

    @property
    def is_initialized(self) -> bool:
        return self._state is not None

    @property
    def state(self) -> TargetGeometry | None:
        """The current target state (immutable), or None before ``init``."""
        return self._state

    # ---------------------------------------------------------------- public API
    def update_params(self, params: TrackerParams | Mapping | str) -> None:
        """Use new hyper-parameters from the next frame on (``context_amount`` from the next
        ``init``: template and search crops must share one context). Settings left out of a
        mapping or preset name come from the checkpoint's recommendation, as in the constructor."""
        self._params = as_params(params, self.recommended_params)

    def reset(self) -> None:
        """Forget the target; ``init`` is needed before the next ``track``."""
        self._state = self._pad_value = self._host_pad_value = self._template_features = None
        self._colour_reference = self.verifier_reference = None
        self.distractors.reset()

    def init(self, frame_bgr: np.ndarray, bbox_xywh) -> None:
        """Start tracking the target in ``bbox_xywh`` (x, y, w, h) of ``frame_bgr``."""
        frame = as_bgr_frame(frame_bgr)
        x, y, width, height = check_box(bbox_xywh, frame.shape)
        context = self._params.context_amount
        center = (x + (width - 1) / 2.0, y + (height - 1) / 2.0)
        side = max(1, int(round(context_side((width, height), context))))
        with torch.no_grad():
            # float64 on the host, as the authors' code takes it (its uint8 crop truncates it)
            host_pad_value = frame.reshape(-1, frame.shape[-1]).mean(axis=0)
            pad_value = torch.as_tensor(host_pad_value, dtype=torch.float32).to(self.device)
            template = self._crop(frame, crop_window(center, side), self.geometry.template_size,
                                  pad_value, host_pad_value)
            # the template branch runs once per init: in fp32 (or fp16) whatever the precision
            network = self.exported if self.exported is not None else self.model
            template_features = network.template(self._to_model_dtype(template))
        self._template_features = template_features
        self._colour_reference = box_colours(frame, (x, y, width, height))
        self.verifier_reference = (box_patch(frame, (x, y, width, height))
                                    if self.verifier is not None else None)
        self._pad_value = pad_value
        self._host_pad_value = host_pad_value
        self.distractors.reset()
        self.distractors.see(frame)
        self._state = TargetGeometry(center, (width, height), (frame.shape[1], frame.shape[0]), context)

    def track(self, frame_bgr: np.ndarray, return_maps: bool = False) -> TrackResult:
        """Locate the target in the next frame."""
        state = self._require_state()
        frame = as_bgr_frame(frame_bgr)
        if (frame.shape[1], frame.shape[0]) != state.frame_size:
            raise TrackerInputError(
                f"frame size {frame.shape[1]}x{frame.shape[0]} differs from the {state.frame_size[0]}x"
                f"{state.frame_size[1]} frame given to init; frames of one sequence must keep one "
                "size (call init again for the new stream)")
        params = self._params
        started = time.perf_counter()
        s_z = context_side(state.size, state.context_amount)
        scale_z = self.geometry.template_size / s_z
        search_side = max(1, int(round(s_z * self.geometry.search_size / self.geometry.template_size)))
        with torch.no_grad():
            search = self._crop(frame, crop_window(state.center, search_side),
                                self.geometry.search_size, self._pad_value, self._host_pad_value)
            cropped = time.perf_counter()
            cls, cen, loc = self._run_network(self._to_model_dtype(search))
        networked = time.perf_counter()
        previous_crop_size = (state.size[0] * scale_z, state.size[1] * scale_z)
        def decode_with(cell_mask=None) -> Decoded:
            return decode(params.strategy, cls, cen, loc, previous_crop_size, params, self.geometry,
                          window=self._window, scale_z=scale_z, cell_mask=cell_mask)

        self.distractors.see(frame)
        decoded, rivals = judge_rivals(self.distractors, decode_with(), (cls, cen, loc), state, scale_z,
                                       self.geometry, decode_with)
        result = self._advance(state, decoded, scale_z, return_maps, (cls, cen, loc), search_side, frame, rivals)
        finished = time.perf_counter()
        self.last_timings = {"crop": cropped - started, "network": networked - cropped,
                             "decode": finished - networked}
        return result

    def search_side(self, size=None) -> int:
        """Image pixels one search crop covers at the target's current size (or at ``size``,
        (w, h) in image pixels)."""
        state = self._require_state()
        s_z = context_side(state.size if size is None else tuple(size), state.context_amount)
        return max(1, int(round(s_z * self.geometry.search_size / self.geometry.template_size)))

    def detect(self, frame_bgr: np.ndarray, centers, size=None) -> list[Candidate]:
        """Look for the target in search crops centred at ``centers`` (image pixels), at its
        current scale (or as if it had ``size``, (w, h)), against the template of ``init``: per
        crop, the cell of highest cls x centre-ness (no cosine window, no motion penalty: the
        target may be anywhere) and the box regressed there. The target state does not change."""
        state = self._require_state()
        frame = as_bgr_frame(frame_bgr)
        size = state.size if size is None else tuple(float(v) for v in size)
        side = self.search_side(size)
        scale = self.geometry.search_size / side
        candidates = []
        with torch.no_grad():
            for center in centers:
                search = self._crop(frame, crop_window(tuple(center), side), self.geometry.search_size,
                                     self._pad_value, self._host_pad_value)
                cls, cen, loc = self._run_network(self._to_model_dtype(search))
                peak, found, found_size = best_cell(cls, cen, loc, self.geometry, center, scale, size)
                score, _, _ = self._confidence(peak, frame, box_from_state(found, found_size))
                candidates.append(Candidate(score, found, found_size))
        return candidates

    def _confidence(self, peak: float, frame: np.ndarray, bbox) -> tuple[float, float, float]:
        """The confidence of a box (peak x colour consistency x verification^verifier_weight),
        its colour shift and the verifier's P(same object) (1.0 without a verifier)."""
        shift = colour_shift(box_colours(frame, bbox), self._colour_reference)
        confidence = peak * colour_consistency(shift, self._params.colour_weight)
        verification = 1.0
        weight = self._params.verifier_weight
        if self.verifier is not None and self.verifier_reference is not None and weight > 0:
            verification = float(self.verifier.probability(self.verifier_reference,
                                                           [box_patch(frame, bbox)])[0])
            confidence *= verification ** weight
        return confidence, shift, verification

    def relocate(self, center, size=None) -> None:
        """Move the target to ``center`` (and ``size``) in image pixels, keeping the template
        of ``init``: tracking goes on from there (re-acquisition after a loss)."""
        state = self._require_state()
        width, height = state.frame_size
        new_center = (float(np.clip(center[0], 0, width)), float(np.clip(center[1], 0, height)))
        new_size = state.size if size is None else (
            float(np.clip(size[0], MIN_TARGET_SIZE, max(width, MIN_TARGET_SIZE))),
            float(np.clip(size[1], MIN_TARGET_SIZE, max(height, MIN_TARGET_SIZE))))
        self._state = TargetGeometry(new_center, new_size, state.frame_size, state.context_amount)
        self.distractors.relocated()

    # ---------------------------------------------------------------- steps
    def _require_state(self) -> TargetGeometry:
        if self._state is None:
            raise TrackerStateError("track() called before init(): give the first frame and the "
                                    "target box to init(frame, (x, y, w, h)) first")
        return self._state

    def _crop(self, frame: np.ndarray, window: CropWindow, out_size: int, pad_value: torch.Tensor,
              host_pad_value: np.ndarray) -> torch.Tensor:
        return model_crop(frame, window, out_size, self.device, self._params.strategy, pad_value, host_pad_value)

    def _to_model_dtype(self, crop: torch.Tensor) -> torch.Tensor:
        return crop.half() if self.half else crop

    def _run_network(self, search: torch.Tensor):
        """Head outputs for the search crop, brought to the host in one copy."""
        maps = network_maps(self.model, self.exported, self.acceleration, search, self._template_features)
        return maps[0], maps[1], maps[2:6]

    def _advance(self, state, decoded: Decoded, scale_z, return_maps, maps, search_side, frame,
                 rivals: RivalFigures):
        """Commit the decoded frame to the state; keep the old state if the maps were not finite."""
        values = (*decoded.displacement, *decoded.size, decoded.size_rate, decoded.confidence)
        if not all(math.isfinite(v) for v in values):
            LOGGER.warning("network output is not finite; keeping the previous target state")
            return TrackResult(box_from_state(state.center, state.size), 0.0, 0.0,
                               debug_maps(maps, decoded, scale_z, search_side) if return_maps else None,
                               foreground=0.0)
        center, size = next_target_state(state.center, state.size, decoded, scale_z, state.frame_size)
        self._state = TargetGeometry(center, size, state.frame_size, state.context_amount)
        bbox = box_from_state(center, size)
        peak = peak_score(maps[0], maps[1]) if rivals.target_peak is None else min(rivals.target_peak, 1.0)
        confidence, shift, verification = self._confidence(peak, frame, bbox)
        if rivals.rivals and self.verifier is not None:
            reference, verifier = self.verifier_reference, self.verifier
            self.distractors.remember_looks(frame, size, box_patch,
                                            lambda look: float(verifier.probability(reference, [look])[0]))
        self.distractors.confidence = confidence
        return TrackResult(
            bbox=bbox,
            confidence=confidence * rivals.target_share,
            centerness=decoded.centerness,
            maps=debug_maps(maps, decoded, scale_z, search_side) if return_maps else None,
            foreground=decoded.confidence,
            peak=peak,
            colour_shift=shift,
            verification=verification,
            rivals=rivals,
        )
