"""Photograph pools (standard, training, a held-out directory) as BGR uint8, at most 800 px a side."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

_COLOUR_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field",
                  "immunohistochemistry", "retina", "colorwheel", "cat")
_GRAY_IMAGES = ("camera", "coins", "moon", "page", "text", "clock", "brick", "grass",
                "gravel", "cell")
_MAX_PHOTO_SIDE = 800
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
