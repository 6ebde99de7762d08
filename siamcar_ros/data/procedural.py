"""Seeded procedural tracking sequences with exact ground truth.

A sequence is a textured target patch (cut from a photograph bundled with scikit-image or
drawn procedurally) moving over a background photograph or texture. Everything about a
sequence (background, target, trajectory, scale, rotation, occluders, distractors,
lighting, camera shake) is planned up front from one integer seed, and frames are rendered
lazily on demand, so a training loop can sample two frames of a sequence without rendering
the rest, and the same seed always gives the same frames.

Ground truth conventions (``ProceduralSequence.ground_truth``, N x 4 float ``x, y, w, h``):

- Pixel-edge coordinates, 0-based: a box ``(10, 20, 30, 40)`` covers pixel columns
  10..39 and rows 20..59; its centre in pixel-centre coordinates is ``x + (w - 1) / 2``.
- The box is the axis-aligned extent of the whole target (also of its occluded part),
  clipped to the image. Rotated targets get the extent of the rotated rectangle.
- The target never leaves the image completely. A frame where less than
  ``ABSENT_VISIBLE_FRACTION`` of the target's in-image area is visible (full occlusion)
  keeps the box of where the target is and is flagged in ``ProceduralSequence.absent``;
  on disk it is a ``1`` in ``absence.label`` (GOT-10k style, one line per frame).
- Frame 0 always shows the target unoccluded and entirely inside the image.

The standing regression benchmark is ``write_benchmark(root)``: 30 sequences of 150 frames
written in the OTB layout. Its sequence seeds come from ``benchmark_sequence_seeds`` and
lie at or above ``BENCHMARK_SEED_BASE``; training should draw seeds below that.
Frames depend on the pinned scikit-image images and OpenCV's resampling, so a checksum is
only stable for the pinned versions in ``requirements.txt``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

LOG = logging.getLogger(__name__)

ATTRIBUTES = (
    "scale_variation",
    "aspect_ratio_change",
    "rotation",
    "fast_motion",
    "motion_blur",
    "illumination_variation",
    "partial_occlusion",
    "full_occlusion",
    "similar_distractors",
    "camera_shake",
    "out_of_view",
    "low_resolution",
)
ATTRIBUTE_PROBABILITY = 0.35
ABSENT_VISIBLE_FRACTION = 0.1
BENCHMARK_SEED_BASE = 1_000_000_000
GENERATOR_VERSION = 2

_COLOUR_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field",
                  "immunohistochemistry", "retina", "colorwheel", "cat")
_GRAY_IMAGES = ("camera", "coins", "moon", "page", "text", "clock", "brick", "grass",
                "gravel", "cell")
_MAX_PHOTO_SIDE = 800
_VISIBILITY_GRID = 16


@dataclasses.dataclass(frozen=True)
class _Placement:
    """Where a patch sits in one frame: centre (pixel-centre coords), displayed size, angle."""

    cx: float
    cy: float
    width: float
    height: float
    angle_deg: float


@dataclasses.dataclass(frozen=True)
class _Occluder:
    texture: np.ndarray          # HxWx3 uint8, the occluder's look at full size
    boxes: dict[int, tuple[int, int, int, int]]   # frame -> x0, y0, x1, y1 (ints, exclusive)


@dataclasses.dataclass(frozen=True)
class _SequencePlan:
    size: tuple[int, int]
    canvas: np.ndarray                      # background, larger than a frame by 2 * pad
    pad: int
    camera: np.ndarray                      # N x 2 int offsets (x, y) of the view in the canvas
    target_pyramid: tuple[np.ndarray, ...]  # target patch, then successive pyrDown levels
    target: tuple[_Placement, ...]
    blur_length: np.ndarray                 # N, target motion-blur length in px (0 = none)
    blur_angle: np.ndarray                  # N, direction of the target's motion (degrees)
    camera_blur: np.ndarray                 # N x 2, whole-frame blur vector (px) from shake
    distractors: tuple[tuple[tuple[np.ndarray, ...], tuple[_Placement, ...]], ...]
    occluders: tuple[_Occluder, ...]
    gain: np.ndarray | None                 # N x gh x gw low-resolution illumination gain


class ProceduralFrames(Sequence):
    """Frames of a procedural sequence, rendered on access (BGR uint8, H x W x 3)."""

    def __init__(self, plan: _SequencePlan):
        self._plan = plan

    @property
    def plan(self) -> _SequencePlan:
        return self._plan

    def __len__(self) -> int:
        return len(self._plan.target)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"frame {index} out of range for a {len(self)}-frame sequence")
        return _render_frame(self._plan, index % len(self))


@dataclasses.dataclass
class ProceduralSequence:
    """One generated sequence: lazily rendered frames plus exact ground truth."""

    name: str
    frames: ProceduralFrames
    ground_truth: np.ndarray   # N x 4 float64 x, y, w, h (see module docstring)
    absent: np.ndarray         # N bool, True where the target is fully occluded
    attributes: list[str]
    seed: int

    def __len__(self) -> int:
        return len(self.ground_truth)

    def distractor_centers(self, index: int) -> list[tuple[float, float]]:
        """Centres (pixel-centre coords) of the look-alike distractors in frame ``index``."""
        return [(placements[index].cx, placements[index].cy)
                for _, placements in self.frames.plan.distractors]

    def distractor_boxes(self, index: int) -> list[np.ndarray]:
        """Boxes (x, y, w, h, clipped to the frame) of the look-alike distractors in frame
        ``index``, in the ground truth's convention."""
        return [_box_of(placements[index], self.frames.plan.size)
                for _, placements in self.frames.plan.distractors]


# ----------------------------------------------------------------------------- images

PHOTO_POOLS = ("standard", "training")
# Photographs beyond scikit-image's for the "training" pool: (package, file inside it).
_TRAINING_EXTRA_PHOTOS = (
    ("skimage", "data/motorcycle_left.png"),
    ("sklearn", "datasets/images/china.jpg"),
    ("sklearn", "datasets/images/flower.jpg"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
)
# OpenCV's sample photographs (Debian's opencv-doc, examples/data) used by the held-out
# benchmark: never part of any training pool. Drawings, charts and calibration targets are left out.
HELDOUT_PHOTOS = ("fruits.jpg", "baboon.jpg", "home.jpg", "messi5.jpg", "orange.jpg",
                  "apple.jpg", "aero1.jpg", "board.jpg", "squirrel_cls.jpg", "leuvenA.jpg",
                  "aloeL.jpg", "smarties.png", "rubberwhale1.png", "basketball1.png", "stuff.jpg",
                  "graf1.png", "building.jpg", "butterfly.jpg", "ela_original.jpg")
PhotoSet = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]


class PhotoPoolError(ValueError):
    """A photograph pool is unknown, or its files are missing."""


def _fit(image: np.ndarray) -> np.ndarray:
    """BGR uint8 at most _MAX_PHOTO_SIDE on its long side."""
    scale = _MAX_PHOTO_SIDE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image


@functools.lru_cache(maxsize=1)
def _photographs() -> PhotoSet:
    """The bundled scikit-image photographs as BGR uint8 (colour ones, gray ones)."""
    import skimage.data

    def load(name: str) -> np.ndarray:
        image = np.asarray(getattr(skimage.data, name)())
        if image.ndim == 3:
            image = np.ascontiguousarray(image[..., 2::-1])  # RGB(A) -> BGR
        return _fit(image)

    return tuple(load(n) for n in _COLOUR_IMAGES), tuple(load(n) for n in _GRAY_IMAGES)


def _package_file(package: str, relative: str) -> Path:
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PhotoPoolError(f"the training photograph pool needs the package {package!r} "
                             f"(pip install -r requirements-train.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / relative


def _read_photo(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoPoolError(f"cannot read photograph {path} (missing or not an image)")
    return _fit(image)


@functools.lru_cache(maxsize=4)
def photo_set(pool: str = "standard") -> PhotoSet:
    """Photographs a sequence's target, background and occluders are cut from.

    ``standard``: scikit-image's bundled photographs (the standing benchmark's pool).
    ``training``: those plus the photographs listed in ``_TRAINING_EXTRA_PHOTOS``.
    Any other value is a directory holding the ``HELDOUT_PHOTOS`` files (OpenCV's samples:
    the held-out benchmark's pool, never used for training).
    """
    if pool == "standard":
        return _photographs()
    colour, gray = _photographs()
    if pool == "training":
        extra = tuple(_read_photo(_package_file(p, f)) for p, f in _TRAINING_EXTRA_PHOTOS)
        return colour + extra, gray
    directory = Path(pool)
    if not directory.is_dir():
        raise PhotoPoolError(f"photograph pool {pool!r} is neither one of {PHOTO_POOLS} nor a "
                             f"directory (the held-out pool is OpenCV's sample data directory; "
                             f"scripts/get_heldout_photos.sh fetches it)")
    missing = [name for name in HELDOUT_PHOTOS if not (directory / name).is_file()]
    if missing:
        raise PhotoPoolError(f"photograph directory {directory} lacks {missing}; it must hold "
                             f"OpenCV's sample photographs (scripts/get_heldout_photos.sh)")
    return tuple(_read_photo(directory / name) for name in HELDOUT_PHOTOS), ()


def _tinted_gray(rng: np.random.Generator, gray: np.ndarray) -> np.ndarray:
    """A gray photograph mapped between two random colours."""
    dark, light = rng.uniform(0, 110, 3), rng.uniform(150, 255, 3)
    t = gray.astype(np.float32)[..., None] / 255.0
    return (dark + t * (light - dark)).astype(np.uint8)


def _random_photo(rng: np.random.Generator, photos: PhotoSet) -> np.ndarray:
    colour, gray = photos
    if rng.random() < 0.65 or not gray:
        return colour[rng.integers(len(colour))]
    return _tinted_gray(rng, gray[rng.integers(len(gray))])


def _noise_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Multi-octave value noise in random colours."""
    texture = np.zeros((height, width, 3), np.float32)
    amplitude = 1.0
    for cells in (3, 7, 17, 41):
        small = rng.random((cells, max(2, cells * width // height), 3)).astype(np.float32)
        texture += amplitude * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        amplitude *= 0.55
    texture -= texture.min()
    texture *= 255.0 / max(float(texture.max()), 1e-6)
    return texture.astype(np.uint8)


def _shapes_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Random ellipses, rectangles and stripes over value noise."""
    texture = _noise_texture(rng, height, width)
    if rng.random() < 0.5:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 40)
        wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        alpha = (0.35 * (wave > 0))[..., None]
        texture = (texture * (1 - alpha) + colour * alpha).astype(np.uint8)
    for _ in range(int(rng.integers(4, 14))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        radius = max(2, int(rng.uniform(0.03, 0.2) * min(height, width)))
        if rng.random() < 0.5:
            axes = (radius, max(2, int(radius * rng.uniform(0.4, 1.0))))
            cv2.ellipse(texture, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1,
                        cv2.LINE_AA)
        else:
            corner = (centre[0] + radius, centre[1] + int(radius * rng.uniform(0.5, 1.5)))
            cv2.rectangle(texture, centre, corner, colour, -1)
    return texture


def _random_region(rng: np.random.Generator, image: np.ndarray, height: int,
                   width: int) -> np.ndarray:
    """A random crop of image with the aspect of (height, width), resized to that size."""
    img_h, img_w = image.shape[:2]
    aspect = width / height
    crop_h = int(min(img_h, img_w / aspect) * rng.uniform(0.35, 1.0))
    crop_w = max(1, int(round(crop_h * aspect)))
    crop_h = max(1, min(crop_h, img_h))
    crop_w = min(crop_w, img_w)
    y0 = int(rng.integers(0, img_h - crop_h + 1))
    x0 = int(rng.integers(0, img_w - crop_w + 1))
    crop = image[y0:y0 + crop_h, x0:x0 + crop_w]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (width, height),
                      interpolation=cv2.INTER_AREA if crop_w > width else cv2.INTER_LINEAR)


def _random_appearance(rng: np.random.Generator, height: int, width: int,
                       photo_probability: float, photos: PhotoSet) -> np.ndarray:
    if rng.random() < photo_probability:
        return _random_region(rng, _random_photo(rng, photos), height, width)
    if rng.random() < 0.5:
        return _shapes_texture(rng, height, width)
    return _noise_texture(rng, height, width)


def _pyramid(patch: np.ndarray) -> tuple[np.ndarray, ...]:
    levels = [patch]
    while min(levels[-1].shape[:2]) >= 16:
        levels.append(cv2.pyrDown(levels[-1]))
    return tuple(levels)


def _recoloured(rng: np.random.Generator, patch: np.ndarray) -> np.ndarray:
    """A look-alike of patch: slightly different gain per channel, sometimes mirrored."""
    gain = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    alike = np.clip(patch.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(alike[:, ::-1]) if rng.random() < 0.5 else alike


# ----------------------------------------------------------------------------- planning

def _smooth_curve(rng: np.random.Generator, length: int, amplitude: float,
                  min_period: float = 30.0, max_period: float = 220.0) -> np.ndarray:
    """A sum of three slow sinusoids scaled to peak at about +-amplitude."""
    t = np.arange(length, dtype=np.float64)
    curve = np.zeros(length)
    weights = rng.uniform(0.3, 1.0, 3)
    for weight in weights:
        period = rng.uniform(min_period, max_period)
        curve += weight * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return curve * amplitude / weights.sum()


def _waypoint_path(rng: np.random.Generator, length: int, size: tuple[int, int],
                   fast: bool, start: np.ndarray | None = None,
                   border_visit: bool = False) -> np.ndarray:
    """N x 2 smooth centre path through random waypoints (fast: short hops far apart)."""
    from scipy.interpolate import CubicSpline

    height, width = size
    spacing = (6, 12) if fast else (25, 60)
    times = [0]
    while times[-1] < length - 1:
        times.append(min(length - 1, times[-1] + int(rng.integers(*spacing))))
    if len(times) < 3:
        times = [0, (length - 1) // 2, length - 1] if length >= 3 else [0, 1, 2]
    low, high = np.array([0.15 * width, 0.15 * height]), np.array([0.85 * width, 0.85 * height])
    points = rng.uniform(low, high, (len(times), 2))
    if start is not None:
        points[0] = start
    if fast:
        # hops of 0.2..0.4 of the short side every 6..12 frames: about 8..30 px/frame at
        # 480x640, OTB's "fast motion" (> 20 px) without leaving every search region
        for k in range(1, len(points)):
            angle = rng.uniform(0, 2 * np.pi)
            hop = rng.uniform(0.2, 0.4) * min(height, width)
            points[k] = np.clip(points[k - 1] + hop * np.array([np.cos(angle), np.sin(angle)]),
                                low, high)
    else:
        # slow targets wander locally rather than crossing the frame between waypoints
        step = 0.25 * min(height, width)
        for k in range(1, len(points)):
            points[k] = np.clip(points[k - 1] + rng.uniform(-step, step, 2), low, high)
    if border_visit:
        k = int(rng.integers(1, len(points)))
        axis = int(rng.integers(2))
        points[k, axis] = 0.0 if rng.random() < 0.5 else float(size[1 - axis])
    spline = CubicSpline(np.asarray(times, float), points, axis=0, bc_type="clamped")
    return spline(np.arange(length, dtype=np.float64))


def _half_extents(width: np.ndarray, height: np.ndarray, angle_deg: np.ndarray) -> np.ndarray:
    """Half width and height of the axis-aligned box around a rotated rectangle."""
    c, s = np.abs(np.cos(np.radians(angle_deg))), np.abs(np.sin(np.radians(angle_deg)))
    return np.stack([(width * c + height * s) / 2, (width * s + height * c) / 2], axis=-1)


def _size_track(rng: np.random.Generator, length: int, base: np.ndarray, attributes: set,
                size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame displayed width, height and rotation angle of the target."""
    log_scale = _smooth_curve(rng, length, np.log(2.4) if "scale_variation" in attributes
                              else np.log(1.06))
    log_aspect = _smooth_curve(rng, length, np.log(1.9) if "aspect_ratio_change" in attributes
                               else np.log(1.03))
    log_scale -= log_scale[0]
    log_aspect -= log_aspect[0]
    if "rotation" in attributes:
        angle = _smooth_curve(rng, length, rng.uniform(40, 120))
        angle -= angle[0]
    else:
        angle = np.zeros(length)
    width = base[0] * np.exp(log_scale + log_aspect / 2)
    height = base[1] * np.exp(log_scale - log_aspect / 2)
    # keep the target between 8 px and most of the frame
    extents = 2 * _half_extents(width, height, angle)
    limit = np.minimum(0.7 * size[1] / extents[:, 0], 0.7 * size[0] / extents[:, 1])
    shrink = np.minimum(1.0, limit)
    grow = np.maximum(1.0, 8.0 / np.minimum(width, height))
    return width * shrink * grow, height * shrink * grow, angle


def _clip_centres(centres: np.ndarray, half: np.ndarray, size: tuple[int, int],
                  allow_out_of_view: bool) -> np.ndarray:
    """Keep boxes inside the frame (or, out of view allowed, their centres inside)."""
    margin = 0.1 * half if allow_out_of_view else half
    upper = np.array([size[1], size[0]], float) - 1 - margin
    return np.clip(centres, margin, np.maximum(upper, margin))


def _placements(centres: np.ndarray, width: np.ndarray, height: np.ndarray,
                angle: np.ndarray) -> tuple[_Placement, ...]:
    return tuple(_Placement(float(c[0]), float(c[1]), float(w), float(h), float(a))
                 for c, w, h, a in zip(centres, width, height, angle))


def _camera_path(rng: np.random.Generator, length: int, pad: int,
                 shake: bool) -> tuple[np.ndarray, np.ndarray]:
    """Integer view offsets in the canvas and the shake part of them (both N x 2)."""
    pan = np.stack([_smooth_curve(rng, length, 0.3 * pad) for _ in range(2)], axis=1)
    jitter = np.zeros((length, 2))
    if shake:
        amplitude = rng.uniform(0.25, 0.55) * pad
        raw = rng.normal(0, 1, (length, 2))
        calm = rng.random(length) < 0.3
        raw[calm] *= 0.15
        jitter = np.clip(raw * amplitude / 2, -0.6 * pad, 0.6 * pad)
    jitter[0] = 0
    camera = np.rint(pan + jitter).astype(int)
    camera = np.clip(camera, -pad, pad)
    return camera + pad, camera - np.rint(pan).astype(int)


def _target_base_size(rng: np.random.Generator, size: tuple[int, int],
                      low_resolution: bool) -> np.ndarray:
    short = min(size)
    long_side = rng.uniform(12, 24) if low_resolution else rng.uniform(0.09, 0.26) * short
    aspect = np.exp(rng.uniform(np.log(0.4), np.log(2.5)))
    width, height = long_side, long_side
    if aspect > 1:
        height = long_side / aspect
    else:
        width = long_side * aspect
    return np.maximum(np.array([width, height]), 8.0)


def _patch_transform(placement: _Placement, patch_shape: tuple[int, ...]) -> np.ndarray:
    """2x3 affine map from patch pixel-centre coords to frame pixel-centre coords."""
    patch_h, patch_w = patch_shape[:2]
    sx, sy = placement.width / patch_w, placement.height / patch_h
    theta = np.radians(placement.angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    linear = rotation @ np.diag([sx, sy])
    patch_centre = np.array([(patch_w - 1) / 2, (patch_h - 1) / 2])
    offset = np.array([placement.cx, placement.cy]) - linear @ patch_centre
    return np.hstack([linear, offset[:, None]])


def _box_of(placement: _Placement, size: tuple[int, int]) -> np.ndarray:
    """Axis-aligned x, y, w, h (pixel-edge coords) of a placement, clipped to the frame."""
    half = _half_extents(np.array(placement.width), np.array(placement.height),
                         np.array(placement.angle_deg))
    x0 = placement.cx + 0.5 - half[0]
    y0 = placement.cy + 0.5 - half[1]
    x1, y1 = x0 + 2 * half[0], y0 + 2 * half[1]
    x0, x1 = np.clip([x0, x1], 0, size[1])
    y0, y1 = np.clip([y0, y1], 0, size[0])
    return np.array([x0, y0, x1 - x0, y1 - y0])


def _visible_fraction(placement: _Placement, size: tuple[int, int],
                      occluder_boxes: list[tuple[int, int, int, int]]) -> float:
    """Share of the target's in-frame area that no occluder covers (grid sampling)."""
    steps = (np.arange(_VISIBILITY_GRID) + 0.5) / _VISIBILITY_GRID - 0.5
    u, v = np.meshgrid(steps * placement.width, steps * placement.height)
    theta = np.radians(placement.angle_deg)
    xs = placement.cx + 0.5 + u * np.cos(theta) - v * np.sin(theta)   # pixel-edge coords
    ys = placement.cy + 0.5 + u * np.sin(theta) + v * np.cos(theta)
    inside = (xs >= 0) & (xs < size[1]) & (ys >= 0) & (ys < size[0])
    covered = np.zeros_like(inside)
    for x0, y0, x1, y1 in occluder_boxes:
        covered |= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    in_frame = int(inside.sum())
    return float((inside & ~covered).sum()) / in_frame if in_frame else 0.0


def _plan_occlusion(rng: np.random.Generator, target: tuple[_Placement, ...],
                    start: int, duration: int, full: bool, photos: PhotoSet) -> _Occluder:
    """An occluder sweeping across the target during [start, start + duration)."""
    frames = range(start, min(start + duration, len(target)))
    half = np.max([_half_extents(np.array(target[i].width), np.array(target[i].height),
                                 np.array(target[i].angle_deg)) for i in frames], axis=0)
    sweep_axis = int(rng.integers(2))
    across = 1 - sweep_axis
    occ_half = np.empty(2)
    occ_half[sweep_axis] = half[sweep_axis] * (rng.uniform(2.5, 3.2) if full
                                               else rng.uniform(0.5, 1.0))
    occ_half[across] = half[across] * (rng.uniform(1.3, 1.6) if full else rng.uniform(0.8, 1.3))
    if full:
        lateral = 0.0
    else:
        covered_share = rng.uniform(0.3, 0.7)
        lateral = (half[across] + occ_half[across] - covered_share * 2 * half[across])
        lateral *= rng.choice([-1.0, 1.0])
    reach = half[sweep_axis] + occ_half[sweep_axis] + 2
    direction = rng.choice([-1.0, 1.0])
    boxes = {}
    for k, i in enumerate(frames):
        progress = k / max(1, len(frames) - 1)
        centre = np.array([target[i].cx, target[i].cy])
        centre[sweep_axis] += direction * reach * (2 * progress - 1)
        centre[across] += lateral
        x0, y0 = np.floor(centre - occ_half + 0.5).astype(int)
        x1, y1 = np.floor(centre + occ_half + 0.5).astype(int)
        boxes[i] = (int(x0), int(y0), int(x1), int(y1))
    tex_w, tex_h = (2 * occ_half + 2).astype(int)
    texture = _random_appearance(rng, max(tex_h, 4), max(tex_w, 4), photo_probability=0.6,
                                 photos=photos)
    return _Occluder(texture=texture, boxes=boxes)


def _plan_occluders(rng: np.random.Generator, target: tuple[_Placement, ...],
                    attributes: set, photos: PhotoSet) -> tuple[_Occluder, ...]:
    length = len(target)
    events = []
    if "partial_occlusion" in attributes:
        events += [(False, int(rng.integers(12, 30))) for _ in range(int(rng.integers(1, 3)))]
    if "full_occlusion" in attributes:
        events.append((True, int(rng.integers(24, 40))))
    occluders = []
    # events start in separate slices of the sequence after the first frames (frame 0 stays
    # clean), so they do not overlap
    first = max(1, min(10, length // 4))
    slots = np.linspace(first, length, len(events) + 1) if events else []
    for k, (full, duration) in enumerate(events):
        begin, end = int(slots[k]), int(slots[k + 1])
        duration = max(2, min(duration, end - begin - 1))
        start = int(rng.integers(begin, max(begin + 1, end - duration)))
        if start < length:
            occluders.append(_plan_occlusion(rng, target, start, duration, full, photos))
    return tuple(occluders)


def _plan_distractors(rng: np.random.Generator, target_patch: np.ndarray,
                      target: tuple[_Placement, ...], size: tuple[int, int],
                      attributes: set) -> tuple:
    if "similar_distractors" not in attributes:
        return ()
    length = len(target)
    first = np.array([target[0].cx, target[0].cy])
    reach = 2 * max(target[0].width, target[0].height)
    distractors = []
    for _ in range(int(rng.integers(1, 4))):
        start = rng.uniform([0.1 * size[1], 0.1 * size[0]], [0.9 * size[1], 0.9 * size[0]])
        for _retry in range(20):   # start away from the target so frame 0 is unambiguous
            if np.linalg.norm(start - first) > reach:
                break
            start = rng.uniform([0.1 * size[1], 0.1 * size[0]], [0.9 * size[1], 0.9 * size[0]])
        centres = _waypoint_path(rng, length, size, fast=False, start=start)
        factor = rng.uniform(0.85, 1.15)
        width = np.array([p.width for p in target]) * factor
        height = np.array([p.height for p in target]) * factor
        angle = np.array([p.angle_deg for p in target]) + rng.uniform(-20, 20) * (
            "rotation" in attributes)
        centres = _clip_centres(centres, _half_extents(width, height, angle), size, False)
        distractors.append((_pyramid(_recoloured(rng, target_patch)),
                            _placements(centres, width, height, angle)))
    return tuple(distractors)


def _plan_blur(rng: np.random.Generator, centres: np.ndarray, camera_shake: np.ndarray,
               attributes: set) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = len(centres)
    velocity = np.diff(centres, axis=0, prepend=centres[:1])
    speed = np.linalg.norm(velocity, axis=1)
    angle = np.degrees(np.arctan2(velocity[:, 1], velocity[:, 0]))
    blur_length = np.zeros(length)
    camera_blur = np.zeros((length, 2))
    if "motion_blur" in attributes:
        extra = np.clip(_smooth_curve(rng, length, 18.0, 20, 80), 0, None)
        blur_length = np.minimum(np.maximum(0.8 * speed, extra), 31)
        shake_step = np.diff(camera_shake, axis=0, prepend=camera_shake[:1]).astype(float)
        camera_blur = np.where(np.linalg.norm(shake_step, axis=1, keepdims=True) > 6,
                               0.6 * shake_step, 0.0)
    blur_length[0] = 0
    camera_blur[0] = 0
    return blur_length, angle, camera_blur


def _plan_illumination(rng: np.random.Generator, length: int, attributes: set) -> np.ndarray | None:
    if "illumination_variation" not in attributes:
        return None
    grid_h, grid_w = 6, 8
    global_gain = np.exp(_smooth_curve(rng, length, np.log(2.0), 20, 120))
    global_gain /= global_gain[0]
    yy, xx = np.mgrid[0:grid_h, 0:grid_w] / np.array([grid_h, grid_w])[:, None, None]
    direction = rng.uniform(0, 2 * np.pi)
    along = xx * np.cos(direction) + yy * np.sin(direction)
    t = np.arange(length)[:, None, None]
    spot = 1 + 0.4 * np.cos(2 * np.pi * (along[None] * 1.3 - t / rng.uniform(40, 120)))
    gain = global_gain[:, None, None] * spot
    gain /= gain[0].mean()
    return gain.astype(np.float32)


def choose_attributes(rng: np.random.Generator) -> list[str]:
    """A random attribute subset (each with ATTRIBUTE_PROBABILITY, at least one)."""
    chosen = [a for a in ATTRIBUTES if rng.random() < ATTRIBUTE_PROBABILITY]
    return chosen or [ATTRIBUTES[int(rng.integers(len(ATTRIBUTES)))]]


def _validated_attributes(attributes: Iterable[str]) -> list[str]:
    attributes = list(attributes)
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise ValueError(f"unknown procedural attribute(s) {unknown}; allowed: {list(ATTRIBUTES)}")
    return [a for a in ATTRIBUTES if a in attributes]


def _plan_sequence(rng: np.random.Generator, length: int, size: tuple[int, int],
                   attributes: set, photos: PhotoSet) -> _SequencePlan:
    height, width = size
    pad = int(0.15 * min(size))
    canvas = _random_appearance(rng, height + 2 * pad, width + 2 * pad, photo_probability=0.6,
                                photos=photos)
    camera, shake = _camera_path(rng, length, pad, "camera_shake" in attributes)

    base = _target_base_size(rng, size, "low_resolution" in attributes)
    # the patch has 1.5x the base resolution, rounded to a multiple of 4 for the pyramid
    patch_size = np.maximum(4 * np.round(1.5 * base / 4), 8).astype(int)
    patch = _random_appearance(rng, int(patch_size[1]), int(patch_size[0]), photo_probability=0.8,
                               photos=photos)
    widths, heights, angles = _size_track(rng, length, base, attributes, size)
    half = _half_extents(widths, heights, angles)
    out_of_view = "out_of_view" in attributes
    start = rng.uniform([0.3 * width, 0.3 * height], [0.7 * width, 0.7 * height])
    centres = _waypoint_path(rng, length, size, "fast_motion" in attributes, start,
                             border_visit=out_of_view)
    centres = centres - shake
    centres = _clip_centres(centres, half, size, out_of_view)
    centres[0] = _clip_centres(centres[:1], half[:1], size, False)[0]
    target = _placements(centres, widths, heights, angles)

    blur_length, blur_angle, camera_blur = _plan_blur(rng, centres, shake, attributes)
    return _SequencePlan(
        size=size, canvas=canvas, pad=pad, camera=camera, target_pyramid=_pyramid(patch),
        target=target, blur_length=blur_length, blur_angle=blur_angle, camera_blur=camera_blur,
        distractors=_plan_distractors(rng, patch, target, size, attributes),
        occluders=_plan_occluders(rng, target, attributes, photos),
        gain=_plan_illumination(rng, length, attributes))


def generate_sequence(seed: int, length: int = 150, size: tuple[int, int] = (480, 640),
                      attributes: Iterable[str] | None = None,
                      name: str | None = None, photos: str = "standard") -> ProceduralSequence:
    """Plan a sequence from seed; frames render lazily. size is (height, width).

    attributes None draws a random subset of ATTRIBUTES from the seed; otherwise exactly
    the given attributes are used. photos names the photograph pool (``photo_set``).
    """
    if length < 2:
        raise ValueError(f"length must be at least 2 frames, got {length}")
    height, width = (int(v) for v in size)
    if height < 64 or width < 64:
        raise ValueError(f"size (height, width) must be at least 64 x 64, got {size}")
    rng = np.random.default_rng(int(seed))
    chosen = choose_attributes(rng) if attributes is None else _validated_attributes(attributes)
    plan = _plan_sequence(rng, int(length), (height, width), set(chosen), photo_set(photos))
    ground_truth = np.stack([_box_of(p, plan.size) for p in plan.target])
    absent = np.zeros(length, bool)
    for i, placement in enumerate(plan.target):
        boxes = [occ.boxes[i] for occ in plan.occluders if i in occ.boxes]
        if boxes:
            absent[i] = _visible_fraction(placement, plan.size, boxes) < ABSENT_VISIBLE_FRACTION
    return ProceduralSequence(name=name or f"procedural_{seed}", frames=ProceduralFrames(plan),
                              ground_truth=ground_truth, absent=absent, attributes=chosen,
                              seed=int(seed))


# ----------------------------------------------------------------------------- long term

# attributes a long-term sequence does not draw: its own absences replace them
_LONG_TERM_EXCLUDED = ("out_of_view", "full_occlusion")
LONG_TERM_LENGTH = 450


def _plan_absences(rng: np.random.Generator, length: int) -> list[tuple[int, int]]:
    """One or two spans [start, end) in which the target is out of sight (30..90 frames each),
    each after at least 50 frames of tracking and followed by at least 50 frames."""
    spans, earliest = [], 50
    for _ in range(int(rng.integers(1, 3))):
        duration = int(rng.integers(30, 91))
        latest = length - 50 - duration
        if latest <= earliest:
            break
        start = int(rng.integers(earliest, min(latest, earliest + 150) + 1))
        spans.append((start, start + duration))
        earliest = start + duration + 60
    return spans


def _reappearance_shift(rng: np.random.Generator, gone_at: np.ndarray, back_at: np.ndarray,
                        size: tuple[int, int]) -> np.ndarray:
    """How far to move the rest of the path so the target comes back far from where it left."""
    height, width = size
    target = back_at
    for _ in range(50):
        target = rng.uniform([0.15 * width, 0.15 * height], [0.85 * width, 0.85 * height])
        if np.linalg.norm(target - gone_at) >= 0.35 * min(size):
            break
    return target - back_at


def generate_long_term_sequence(seed: int, length: int = LONG_TERM_LENGTH,
                                size: tuple[int, int] = (480, 640), name: str | None = None,
                                photos: str = "standard",
                                look_alikes: bool = True) -> ProceduralSequence:
    """A long sequence in which the target leaves the view for a while (one or two spans of
    30..90 frames, marked absent, ground truth 0 x 0) and comes back elsewhere in the frame,
    with look-alike distractors always present (``look_alikes=False``: never); otherwise like
    ``generate_sequence``."""
    if length < 200:
        raise ValueError(f"a long-term sequence needs at least 200 frames, got {length}")
    height, width = (int(v) for v in size)
    rng = np.random.default_rng(int(seed))
    drawn = set(choose_attributes(rng)) - set(_LONG_TERM_EXCLUDED) | {"similar_distractors"}
    if not look_alikes:
        drawn -= {"similar_distractors"}
    chosen = [a for a in ATTRIBUTES if a in drawn]
    plan = _plan_sequence(rng, int(length), (height, width), set(chosen), photo_set(photos))
    target = list(plan.target)
    blur = plan.blur_length.copy()
    absent = np.zeros(length, bool)
    for start, end in _plan_absences(rng, int(length)):
        gone_at = np.array([target[start - 1].cx, target[start - 1].cy])
        shift = _reappearance_shift(rng, gone_at, np.array([target[end].cx, target[end].cy]),
                                    (height, width))
        for i in range(end, length):
            half = _half_extents(np.array(target[i].width), np.array(target[i].height),
                                 np.array(target[i].angle_deg))
            moved = np.array([target[i].cx, target[i].cy]) + shift
            moved = _clip_centres(moved[None], half[None], (height, width), False)[0]
            target[i] = dataclasses.replace(target[i], cx=float(moved[0]), cy=float(moved[1]))
        for i in range(start, end):   # far outside the canvas: not drawn at all
            target[i] = dataclasses.replace(target[i], cx=-10.0 * width, cy=-10.0 * height)
        absent[start:end] = True
        blur[start:end + 1] = 0
    plan = dataclasses.replace(plan, target=tuple(target), blur_length=blur)
    ground_truth = np.stack([_box_of(p, plan.size) for p in plan.target])
    ground_truth[absent] = 0.0
    return ProceduralSequence(name=name or f"longterm_{seed}", frames=ProceduralFrames(plan),
                              ground_truth=ground_truth, absent=absent,
                              attributes=chosen + ["out_of_view"], seed=int(seed))


# ----------------------------------------------------------------------------- rendering

def _line_kernel(length: float, angle_deg: float) -> np.ndarray:
    side = int(np.ceil(length)) | 1
    kernel = np.zeros((side, side), np.float32)
    centre = side // 2
    dx = 0.5 * (length - 1) * np.cos(np.radians(angle_deg))
    dy = 0.5 * (length - 1) * np.sin(np.radians(angle_deg))
    p0 = (int(round(centre - dx)), int(round(centre - dy)))
    p1 = (int(round(centre + dx)), int(round(centre + dy)))
    cv2.line(kernel, p0, p1, 1.0, 1, cv2.LINE_AA)
    return kernel / kernel.sum()


def _paste_patch(frame: np.ndarray, pyramid: tuple[np.ndarray, ...], placement: _Placement,
                 blur: np.ndarray | None = None) -> None:
    """Composite a rotated, scaled patch into frame in place (optionally motion-blurred)."""
    level = 0
    while (level + 1 < len(pyramid)
           and placement.width / pyramid[level].shape[1] < 0.5
           and placement.height / pyramid[level].shape[0] < 0.5):
        level += 1
    patch = pyramid[level]
    transform = _patch_transform(placement, patch.shape)
    margin = 2 + (blur.shape[0] // 2 if blur is not None else 0)
    half = _half_extents(np.array(placement.width), np.array(placement.height),
                         np.array(placement.angle_deg))
    height, width = frame.shape[:2]
    x0 = max(0, int(np.floor(placement.cx - half[0])) - margin)
    y0 = max(0, int(np.floor(placement.cy - half[1])) - margin)
    x1 = min(width, int(np.ceil(placement.cx + half[0])) + margin + 1)
    y1 = min(height, int(np.ceil(placement.cy + half[1])) + margin + 1)
    if x1 <= x0 or y1 <= y0:
        return
    transform[:, 2] -= (x0, y0)
    roi_size = (x1 - x0, y1 - y0)
    colour = cv2.warpAffine(patch.astype(np.float32), transform, roi_size,
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpAffine(np.ones(patch.shape[:2], np.float32), transform, roi_size,
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    # warped colour is already premultiplied by alpha (zero border); blur both alike
    if blur is not None:
        colour = cv2.filter2D(colour, -1, blur, borderType=cv2.BORDER_CONSTANT)
        alpha = cv2.filter2D(alpha, -1, blur, borderType=cv2.BORDER_CONSTANT)
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    blended = colour + (1.0 - alpha[..., None]) * roi
    frame[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def _paste_occluder(frame: np.ndarray, occluder: _Occluder, index: int) -> None:
    x0, y0, x1, y1 = occluder.boxes[index]
    height, width = frame.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    texture = occluder.texture
    tx0 = min(cx0 - x0, texture.shape[1] - 1)
    ty0 = min(cy0 - y0, texture.shape[0] - 1)
    piece = texture[ty0:ty0 + cy1 - cy0, tx0:tx0 + cx1 - cx0]
    frame[cy0:cy0 + piece.shape[0], cx0:cx0 + piece.shape[1]] = piece


def _render_frame(plan: _SequencePlan, index: int) -> np.ndarray:
    height, width = plan.size
    ox, oy = plan.camera[index]
    frame = plan.canvas[oy:oy + height, ox:ox + width].copy()
    for pyramid, placements in plan.distractors:
        _paste_patch(frame, pyramid, placements[index])
    blur = None
    if plan.blur_length[index] >= 2:
        blur = _line_kernel(plan.blur_length[index], plan.blur_angle[index])
    _paste_patch(frame, plan.target_pyramid, plan.target[index], blur)
    for occluder in plan.occluders:
        if index in occluder.boxes:
            _paste_occluder(frame, occluder, index)
    if plan.gain is not None:
        gain = cv2.resize(plan.gain[index], (width, height), interpolation=cv2.INTER_LINEAR)
        frame = np.clip(frame * gain[..., None] + 0.5, 0, 255).astype(np.uint8)
    if np.any(plan.camera_blur[index]):
        frame = _shift_blur(frame, plan.camera_blur[index])
    return frame


def _shift_blur(frame: np.ndarray, vector: np.ndarray, taps: int = 7) -> np.ndarray:
    """Whole-frame motion blur as the mean of shifted copies (a long line kernel is slow)."""
    offsets = np.rint(np.linspace(-0.5, 0.5, taps)[:, None] * vector[None]).astype(int)
    border = int(np.abs(offsets).max())
    padded = cv2.copyMakeBorder(frame, border, border, border, border, cv2.BORDER_REFLECT)
    height, width = frame.shape[:2]
    total = np.zeros(frame.shape, np.uint16)
    for dx, dy in offsets:
        total += padded[border + dy:border + dy + height, border + dx:border + dx + width]
    return ((total + taps // 2) // taps).astype(np.uint8)


# ----------------------------------------------------------------------------- benchmark

def benchmark_sequence_seeds(seed: int = 2024, num_sequences: int = 30) -> list[int]:
    """Seeds of the benchmark's sequences (all >= BENCHMARK_SEED_BASE)."""
    return [BENCHMARK_SEED_BASE + 1000 * int(seed) + k for k in range(num_sequences)]


def benchmark_manifest(seed: int, num_sequences: int, length: int,
                       size: tuple[int, int], photos: str = "standard") -> dict:
    manifest = {"generator_version": GENERATOR_VERSION, "seed": int(seed),
                "num_sequences": int(num_sequences), "length": int(length),
                "size": [int(size[0]), int(size[1])]}
    if photos != "standard":
        # a directory pool is recorded by its file names, not its path
        manifest["photos"] = photos if photos in PHOTO_POOLS else list(HELDOUT_PHOTOS)
    return manifest


def write_sequence(sequence: ProceduralSequence, directory: Path, jpeg_quality: int = 95) -> None:
    """Write one sequence in the OTB layout plus attributes.txt and absence.label."""
    image_dir = Path(directory) / "img"
    image_dir.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(sequence.frames):
        path = image_dir / f"{i + 1:04d}.jpg"
        if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
            raise OSError(f"could not write {path}")
    np.savetxt(Path(directory) / "groundtruth_rect.txt", sequence.ground_truth, fmt="%.4f",
               delimiter=",")
    np.savetxt(Path(directory) / "absence.label", sequence.absent.astype(int), fmt="%d")
    (Path(directory) / "attributes.txt").write_text("".join(f"{a}\n" for a in sequence.attributes))


def write_benchmark(root: str | Path, seed: int = 2024, num_sequences: int = 30,
                    length: int = 150, size: tuple[int, int] = (480, 640),
                    progress: bool = True, photos: str = "standard",
                    prefix: str = "proc", long_term: bool = False) -> list[str]:
    """Write (or keep, when already complete for these settings) the procedural benchmark.

    Layout: ``<root>/<name>/img/0001.jpg``, ``groundtruth_rect.txt`` (comma separated x,y,w,h),
    ``absence.label`` and ``attributes.txt``; ``<root>/benchmark.json`` records the settings
    and ``<root>/list.txt`` the sequence names. Returns the sequence names.

    ``photos`` is the photograph pool (``photo_set``); the held-out benchmark is written with
    OpenCV's sample directory, a seed of its own and ``prefix="heldout"``; the long-term one
    with ``long_term=True`` (``generate_long_term_sequence``) and ``prefix="longterm"``.
    """
    from tqdm import tqdm

    root = Path(root)
    manifest = benchmark_manifest(seed, num_sequences, length, size, photos)
    if long_term:
        manifest["long_term"] = True
    seeds = benchmark_sequence_seeds(seed, num_sequences)
    names = [f"{prefix}{seed}_{k:03d}" for k in range(num_sequences)]
    manifest_path = root / "benchmark.json"
    if manifest_path.exists() and _complete(root, names, length, manifest, manifest_path):
        LOG.info("procedural benchmark at %s is complete; not regenerating", root)
        return names
    root.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    for name, sequence_seed in tqdm(list(zip(names, seeds)), desc="procedural benchmark",
                                    unit="seq", disable=not progress):
        generate = generate_long_term_sequence if long_term else generate_sequence
        sequence = generate(sequence_seed, length, size, name=name, photos=photos)
        write_sequence(sequence, root / name)
    (root / "list.txt").write_text("".join(f"{n}\n" for n in names))
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return names


def _complete(root: Path, names: list[str], length: int, manifest: dict,
              manifest_path: Path) -> bool:
    try:
        if json.loads(manifest_path.read_text()) != manifest:
            return False
    except (OSError, ValueError):
        return False
    return all((root / n / "img" / f"{length:04d}.jpg").exists()
               and (root / n / "groundtruth_rect.txt").exists() for n in names)
