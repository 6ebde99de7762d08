"""Augmentation: crop jitter keeps the box on the target; pixel changes keep shapes; flips move boxes."""
import numpy as np
import pytest

from siamcar_ros.training.augmentation import (CropJitter, PhotometricConfig, flip_horizontal,
                                              photometric, random_illumination, to_grayscale)
from siamcar_ros.training.sampling import context_side, crop_with_jitter


def _image_with_square():
    image = np.full((200, 300, 3), 60, np.uint8)
    image[80:120, 140:180] = (0, 0, 255)        # box x=140, y=80, w=40, h=40
    return image, (140.0, 80.0, 40.0, 40.0)


def test_crop_without_jitter_centres_the_target_at_tracking_scale():
    image, box = _image_with_square()
    side = context_side(40, 40)                 # 80 px of image -> 127 px of crop
    crop, corners = crop_with_jitter(image, box, 127, side, CropJitter(), np.random.default_rng(0))
    assert side == pytest.approx(80.0)
    assert corners == pytest.approx([31.25, 31.25, 94.75, 94.75], abs=1e-3)   # centred on 63
    assert tuple(crop[63, 63]) == (0, 0, 255)
    assert tuple(crop[5, 5]) == (60, 60, 60)


@pytest.mark.parametrize("seed", range(5))
def test_jittered_box_still_covers_the_red_square(seed):
    image, box = _image_with_square()
    crop, (x0, y0, x1, y1) = crop_with_jitter(image, box, 255, 160.0,
                                              CropJitter(shift=64, scale=0.18),
                                              np.random.default_rng(seed))
    inner = crop[int(y0) + 3:int(y1) - 3, int(x0) + 3:int(x1) - 3]
    assert inner.size and np.all(inner[..., 2] > 200) and np.all(inner[..., 0] < 40)
    assert abs((x0 + x1) / 2 - 127) <= 64 * 1.2 + 1


def test_outside_of_the_image_is_filled_with_the_image_mean():
    image = np.zeros((50, 50, 3), np.uint8)
    image[:, :25] = 200
    crop, _ = crop_with_jitter(image, (0, 0, 10, 10), 127, 200.0, CropJitter(), np.random.default_rng(0))
    assert tuple(crop[0, 0]) == (100, 100, 100)


def test_flip_mirrors_crop_and_box():
    crop = np.zeros((10, 20, 3), np.uint8)
    crop[:, :5] = 255
    flipped, box = flip_horizontal(crop, np.array([0.0, 1.0, 4.0, 3.0], np.float32))
    assert flipped[0, -1, 0] == 255 and flipped[0, 0, 0] == 0
    assert box == pytest.approx([15.0, 1.0, 19.0, 3.0])


def test_pixel_augmentations_keep_shape_and_type_and_change_pixels():
    rng = np.random.default_rng(1)
    crop = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    config = PhotometricConfig(blur=1.0, color=1.0, color_strength=0.2, illumination=1.0)
    out = photometric(crop, rng, config)
    assert out.shape == crop.shape and out.dtype == np.uint8 and not np.array_equal(out, crop)
    gray = to_grayscale(crop)
    assert np.array_equal(gray[..., 0], gray[..., 2])
    lit = random_illumination(np.full((32, 32, 3), 100, np.uint8), rng, 0.4)
    assert 60 <= lit.min() < lit.max() <= 140


def test_bad_augmentation_settings_are_rejected():
    with pytest.raises(ValueError, match="blur"):
        PhotometricConfig(blur=1.5)
    with pytest.raises(ValueError, match="shift"):
        CropJitter(shift=-1)
