"""Seeded appearances of backgrounds, targets and occluders: photograph regions or drawn textures."""
from __future__ import annotations

import cv2
import numpy as np

from .photos import PhotoSet


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


def random_appearance(rng: np.random.Generator, height: int, width: int,
                      photo_probability: float, photos: PhotoSet) -> np.ndarray:
    if rng.random() < photo_probability:
        return _random_region(rng, _random_photo(rng, photos), height, width)
    if rng.random() < 0.5:
        return _shapes_texture(rng, height, width)
    return _noise_texture(rng, height, width)


def patch_pyramid(patch: np.ndarray) -> tuple[np.ndarray, ...]:
    levels = [patch]
    while min(levels[-1].shape[:2]) >= 16:
        levels.append(cv2.pyrDown(levels[-1]))
    return tuple(levels)


def recoloured(rng: np.random.Generator, patch: np.ndarray) -> np.ndarray:
    """A look-alike of patch: slightly different gain per channel, sometimes mirrored."""
    gain = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    alike = np.clip(patch.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(alike[:, ::-1]) if rng.random() < 0.5 else alike
