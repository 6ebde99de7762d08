"""Template/search pairs from annotated sequences, cropped with the tracker's geometry.

Crop geometry (method.md, "Tracking"): with context amount 0.5 the template side in image
pixels is s_z = sqrt((w + 0.5(w+h)) (h + 0.5(w+h))), resized to the template size; the
search side is s_z * search_size / template_size, resized to the search size; pixels
outside the image take the image's per-channel mean. Training adds a random shift (output
pixels) and scale (per axis) to that window and moves the box with it.

Sources are anything with the small `SequenceSource` interface (dataset readers, the
procedural generator). A still image is a sequence of length one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from siamcar_ros.training.augmentation import (CropJitter, PhotometricConfig, flip_horizontal,
                                              photometric)
from siamcar_ros.training.targets import CellGrid, CellTargets, build_targets

CONTEXT_AMOUNT = 0.5


class SequenceSource(Protocol):
    """A collection of annotated sequences."""

    def __len__(self) -> int: ...

    def sequence_length(self, index: int) -> int: ...

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        """BGR uint8 HxWx3."""

    def box(self, index: int, frame_index: int):
        """(x, y, w, h) of the target, or None where it is absent or not annotated."""


def context_side(width: float, height: float, context_amount: float = CONTEXT_AMOUNT) -> float:
    """Template window side s_z in image pixels for a target of width x height."""
    context = context_amount * (width + height)
    return float(np.sqrt((width + context) * (height + context)))


def crop_with_jitter(image: np.ndarray, box_xywh, output_size: int, side_in_image: float,
                     jitter: CropJitter, rng: np.random.Generator,
                     fill=None, centre=None) -> tuple[np.ndarray, np.ndarray]:
    """Crop a square window of side_in_image centred on the box (or on ``centre``), resize it
    to output_size, with random per-axis scale and shift. Returns the crop and the box in crop
    pixels as continuous corners (x0, y0, x1, y1)."""
    x, y, w, h = (float(v) for v in box_xywh)
    centre_x, centre_y = x + (w - 1) / 2.0, y + (h - 1) / 2.0
    if centre is not None:
        centre_x, centre_y = float(centre[0]), float(centre[1])
    scale_x = 1.0 + rng.uniform(-jitter.scale, jitter.scale)
    scale_y = 1.0 + rng.uniform(-jitter.scale, jitter.scale)
    shift_x, shift_y = rng.uniform(-jitter.shift, jitter.shift, size=2)
    # image -> crop: u = (x - centre_x) * zoom_x + (out - 1) / 2 + shift_x
    zoom_x = output_size / side_in_image * scale_x
    zoom_y = output_size / side_in_image * scale_y
    half = (output_size - 1) / 2.0
    matrix = np.array([[zoom_x, 0.0, half + shift_x - centre_x * zoom_x],
                       [0.0, zoom_y, half + shift_y - centre_y * zoom_y]], dtype=np.float64)
    if fill is None:
        fill = cv2.mean(image)[:image.shape[2]]
    crop = cv2.warpAffine(image, matrix, (output_size, output_size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT,
                          borderValue=tuple(float(v) for v in fill))
    x0, y0 = x - 0.5, y - 0.5
    x1, y1 = x + w - 0.5, y + h - 0.5
    corners = np.array([x0 * zoom_x + matrix[0, 2], y0 * zoom_y + matrix[1, 2],
                        x1 * zoom_x + matrix[0, 2], y1 * zoom_y + matrix[1, 2]], dtype=np.float32)
    return crop, corners


@dataclass(frozen=True)
class PairSamplingConfig:
    """How pairs are drawn and cropped. Sizes must match the model's template/search sizes."""

    template_size: int = 127
    search_size: int = 255
    frame_range: int = 100
    negative_probability: float = 0.2
    # search crops moved far off the target (up to displaced_shift output pixels), so that
    # the target's own surroundings also appear without the target at the crop's centre
    displaced_probability: float = 0.0
    displaced_shift: float = 255.0
    # search crops centred on a look-alike distractor (sources that know where theirs are: the
    # procedural one), labelled by the true target: the network learns that a copy is not it
    distractor_probability: float = 0.0
    positive_fraction: float = 0.6
    template_jitter: CropJitter = field(default_factory=lambda: CropJitter(shift=4, scale=0.05))
    search_jitter: CropJitter = field(default_factory=lambda: CropJitter(shift=64, scale=0.18))
    template_photometric: PhotometricConfig = field(default_factory=lambda: PhotometricConfig())
    search_photometric: PhotometricConfig = field(default_factory=lambda: PhotometricConfig(blur=0.2))
    grayscale: float = 0.0
    flip: float = 0.0
    min_box_size: float = 2.0

    def __post_init__(self):
        if self.template_size < 1 or self.search_size < self.template_size:
            raise ValueError(f"need 1 <= template_size <= search_size, got "
                             f"{self.template_size}, {self.search_size}")
        if self.frame_range < 0:
            raise ValueError(f"frame_range must be >= 0, got {self.frame_range}")
        for name in ("negative_probability", "displaced_probability", "distractor_probability",
                     "grayscale", "flip"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


@dataclass
class TrainingPair:
    """One sample: crops (BGR uint8), the search box in crop corners, and cell targets."""

    template: np.ndarray
    search: np.ndarray
    search_box: np.ndarray
    negative: bool
    targets: CellTargets


def annotated_frames(source: SequenceSource, index: int, min_box_size: float) -> list[int]:
    """Frame indices of a sequence whose target is present and at least min_box_size wide/high."""
    usable = []
    for frame_index in range(source.sequence_length(index)):
        box = source.box(index, frame_index)
        if box is not None and box[2] >= min_box_size and box[3] >= min_box_size:
            usable.append(frame_index)
    return usable


class PairSampler:
    """Draws training pairs from weighted sources; reproducible from a Generator."""

    def __init__(self, sources: list[SequenceSource], config: PairSamplingConfig, grid: CellGrid,
                 weights: list[float] | None = None):
        if not sources:
            raise ValueError("PairSampler needs at least one source")
        self.sources = sources
        self.config = config
        self.grid = grid
        weights = [float(len(s)) for s in sources] if weights is None else [float(w) for w in weights]
        if len(weights) != len(sources) or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"source weights must be one non-negative number per source "
                             f"with a positive sum, got {weights}")
        self.probabilities = np.asarray(weights) / sum(weights)
        self._usable_cache: dict[tuple[int, int], list[int]] = {}

    def sample(self, rng: np.random.Generator) -> TrainingPair:
        source, index, frames = self._pick_sequence(rng)
        template_frame = int(rng.choice(frames))
        negative = rng.random() < self.config.negative_probability
        if negative:
            search_source, search_index, search_frames = self._pick_sequence(rng)
            search_frame = int(rng.choice(search_frames))
        else:
            search_source, search_index = source, index
            search_frame = self._nearby_frame(frames, template_frame, rng)
        return self._make_pair(source, index, template_frame,
                               search_source, search_index, search_frame, negative, rng)

    def _pick_sequence(self, rng, attempts: int = 100):
        for _ in range(attempts):
            source_number = int(rng.choice(len(self.sources), p=self.probabilities))
            source = self.sources[source_number]
            if len(source) == 0:
                continue
            index = int(rng.integers(len(source)))
            key = (source_number, index)
            if key not in self._usable_cache:
                self._usable_cache[key] = annotated_frames(source, index, self.config.min_box_size)
            if self._usable_cache[key]:
                return source, index, self._usable_cache[key]
        raise RuntimeError(f"no sequence with a usable annotation found in {attempts} draws; "
                           "check the datasets' boxes and min_box_size")

    def _nearby_frame(self, frames: list[int], template_frame: int, rng) -> int:
        gap = self.config.frame_range
        nearby = [f for f in frames if abs(f - template_frame) <= gap]
        return int(rng.choice(nearby))

    def _make_pair(self, source, index, template_frame, search_source, search_index,
                   search_frame, negative, rng) -> TrainingPair:
        config = self.config
        template_image = source.frame(index, template_frame)
        template_box = source.box(index, template_frame)
        side = context_side(template_box[2], template_box[3])
        template, _ = crop_with_jitter(template_image, template_box, config.template_size,
                                       side, config.template_jitter, rng)
        search_image = search_source.frame(search_index, search_frame)
        search_box_xywh = search_source.box(search_index, search_frame)
        search_side = context_side(search_box_xywh[2], search_box_xywh[3]) \
            * config.search_size / config.template_size
        jitter = config.search_jitter
        centre = None
        if not negative and config.distractor_probability and rng.random() < config.distractor_probability:
            look_alikes = getattr(search_source, "distractor_centers", lambda *_: [])(search_index, search_frame)
            if look_alikes:
                centre = look_alikes[int(rng.integers(len(look_alikes)))]
                jitter = CropJitter(shift=config.template_jitter.shift * 4, scale=jitter.scale)
        if centre is None and not negative and config.displaced_probability \
                and rng.random() < config.displaced_probability:
            jitter = CropJitter(shift=config.displaced_shift, scale=jitter.scale)
        search, box = crop_with_jitter(search_image, search_box_xywh, config.search_size,
                                       search_side, jitter, rng, centre=centre)
        if config.flip and rng.random() < config.flip:
            template, _ = flip_horizontal(template, np.zeros(4, np.float32))
            search, box = flip_horizontal(search, box)
        gray = bool(config.grayscale and rng.random() < config.grayscale)
        template = photometric(template, rng, config.template_photometric, gray)
        search = photometric(search, rng, config.search_photometric, gray)
        targets = build_targets(box, self.grid, config.positive_fraction, negative_pair=negative)
        return TrainingPair(template=template, search=search, search_box=box,
                            negative=negative, targets=targets)
