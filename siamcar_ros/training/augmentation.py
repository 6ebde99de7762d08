"""Photometric and geometric augmentation of training crops.

Shift and scale are applied while cropping (see sampling.crop_with_jitter) so that the
target box follows exactly; here are the pixel-only ones (blur, colour, grayscale) and the
horizontal flip, which moves the box too. Every function takes a numpy Generator so that
a sample is reproducible from its seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropJitter:
    """Random shift (output pixels, uniform in +-shift) and scale (factor 1 +- scale, per
    axis) of a crop around the target."""

    shift: float = 0.0
    scale: float = 0.0

    def __post_init__(self):
        if self.shift < 0 or not 0 <= self.scale < 1:
            raise ValueError(f"crop jitter needs shift >= 0 and 0 <= scale < 1, got {self}")


@dataclass(frozen=True)
class PhotometricConfig:
    """Probabilities (0..1) of each pixel augmentation and the colour jitter strength."""

    blur: float = 0.0
    color: float = 1.0
    color_strength: float = 0.1
    grayscale: float = 0.0
    flip: float = 0.0
    illumination: float = 0.0
    illumination_strength: float = 0.4

    def __post_init__(self):
        for name in ("blur", "color", "grayscale", "flip", "illumination"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"augmentation probability {name!r} must be in [0, 1], got {value}")
        if self.color_strength < 0:
            raise ValueError(f"color_strength must be >= 0, got {self.color_strength}")


def random_blur(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur with a random odd kernel (3..9 px) and random sigma."""
    kernel = int(rng.choice([3, 5, 7, 9]))
    sigma = float(rng.uniform(0.5, 2.5))
    return cv2.GaussianBlur(crop, (kernel, kernel), sigma)


def random_color(crop: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Per-channel gain and offset plus a global brightness/contrast change."""
    gains = 1.0 + rng.uniform(-strength, strength, size=3)
    offsets = rng.uniform(-strength, strength, size=3) * 255.0
    contrast = 1.0 + rng.uniform(-strength, strength)
    image = crop.astype(np.float32)
    mean = image.mean()
    image = (image - mean) * contrast + mean
    image = image * gains[None, None, :] + offsets[None, None, :]
    return np.clip(image, 0, 255).astype(np.uint8)


def random_illumination(crop: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Uneven lighting: the crop times a smooth gain field (a random 3x3 grid of gains in
    1 +- strength, interpolated over the crop)."""
    gains = rng.uniform(1.0 - strength, 1.0 + strength, size=(3, 3)).astype(np.float32)
    field = cv2.resize(gains, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.clip(crop.astype(np.float32) * field[..., None], 0, 255).astype(np.uint8)


def to_grayscale(crop: np.ndarray) -> np.ndarray:
    """Grayscale kept as 3 identical BGR channels, as the network expects 3 channels."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def flip_horizontal(crop: np.ndarray, box_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror a crop and its box (continuous corner coordinates, pixel centres at integers)."""
    width = crop.shape[1]
    x0, y0, x1, y1 = box_xyxy
    flipped_box = np.array([width - 1 - x1, y0, width - 1 - x0, y1], dtype=np.float32)
    return np.ascontiguousarray(crop[:, ::-1]), flipped_box


def photometric(crop: np.ndarray, rng: np.random.Generator, config: PhotometricConfig,
                grayscale: bool = False) -> np.ndarray:
    """Colour jitter, uneven lighting, blur, then grayscale (decided by the caller for the pair)."""
    if config.color and rng.random() < config.color:
        crop = random_color(crop, rng, config.color_strength)
    if config.illumination and rng.random() < config.illumination:
        crop = random_illumination(crop, rng, config.illumination_strength)
    if config.blur and rng.random() < config.blur:
        crop = random_blur(crop, rng)
    if grayscale:
        crop = to_grayscale(crop)
    return crop
