"""Template and search crops: window geometry, mean padding, and agreement with OpenCV."""
import math

import cv2
import numpy as np
import pytest
import torch

from siamcar_ros.tracking.crop import (
    channel_mean,
    context_side,
    crop_and_resize,
    crop_and_resize_host,
    crop_window,
    frame_to_tensor,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    image[:, :, 0] //= 2  # channels with different means, so a wrong channel order shows
    return image


def opencv_crop(image, window, out_size, mean):
    """What the crop must equal: pad the window with the mean, then cv2.resize INTER_LINEAR."""
    height, width = image.shape[:2]
    left, top = max(0, -window.x0), max(0, -window.y0)
    right = max(0, window.x0 + window.side - width)
    bottom = max(0, window.y0 + window.side - height)
    padded = cv2.copyMakeBorder(image.astype(np.float32), top, bottom, left, right,
                                cv2.BORDER_CONSTANT, value=[float(v) for v in mean])
    patch = padded[window.y0 + top: window.y0 + top + window.side,
                   window.x0 + left: window.x0 + left + window.side]
    return cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def device_crop(image, window, out_size, mean=None):
    tensor = frame_to_tensor(image, CPU)
    pad = channel_mean(tensor) if mean is None else torch.tensor(mean, dtype=torch.float32)
    crop = crop_and_resize(tensor, window, out_size, pad)
    assert crop.shape == (1, 3, out_size, out_size) and crop.dtype == torch.float32
    return crop[0].permute(1, 2, 0).numpy()


def host_crop(image, window, out_size, mean=None):
    pad = image.reshape(-1, 3).mean(axis=0) if mean is None else mean
    crop = crop_and_resize_host(image, window, out_size, pad)
    assert crop.shape == (out_size, out_size, 3) and crop.dtype == np.float32
    return crop


def test_context_side_adds_half_the_perimeter_as_context():
    assert context_side((40, 20), 0.5) == pytest.approx(math.sqrt(70 * 50))
    assert context_side((10, 10), 0.0) == pytest.approx(10)


def test_window_top_left_follows_the_public_rounding_rule():
    window = crop_window((50.0, 30.0), 127)
    assert (window.x0, window.y0, window.side) == (math.floor(50 - 64 + 0.5), math.floor(30 - 64 + 0.5), 127)
    assert crop_window((10.5, 10.5), 4).x0 == math.floor(10.5 - 2.5 + 0.5)
    with pytest.raises(ValueError, match="at least 1"):
        crop_window((0, 0), 0)


def test_channel_mean_is_per_channel_in_frame_order(frame):
    np.testing.assert_allclose(channel_mean(frame_to_tensor(frame, CPU)).numpy(),
                               frame.reshape(-1, 3).mean(axis=0), rtol=1e-5)


@pytest.fixture(params=["device", "host"])
def our_crop(request):
    """Every crop behaviour holds for the tensor (GPU) path and the OpenCV host (CPU) path."""
    return device_crop if request.param == "device" else host_crop


@pytest.mark.parametrize(
    "center, side, out_size",
    [
        ((80, 60), 127, 127),   # same size: a plain copy
        ((80, 60), 64, 127),    # tiny target: upsampled
        ((80, 60), 100, 255),
        ((70, 50), 90, 127),    # downsampled, inside the image
        ((5, 60), 120, 255),    # partly outside on the left
        ((150, 115), 80, 127),  # partly outside bottom-right
        ((80, 60), 700, 255),   # crop far larger than the image
        ((80, 60), 1100, 255),  # larger than the host's padded copy: the gathered neighbours
        ((2, 3), 1300, 255),    # gathered, the image in one corner of the window
        ((400, -300), 1200, 255),  # gathered, only a corner of the image inside
    ],
)
def test_crop_equals_mean_padding_then_opencv_bilinear_resize(frame, center, side, out_size, our_crop):
    window = crop_window(center, side)
    mean = frame.reshape(-1, 3).mean(axis=0)
    ours = our_crop(frame, window, out_size)
    np.testing.assert_allclose(ours, opencv_crop(frame, window, out_size, mean), atol=1e-3)


def test_crop_of_a_box_wholly_outside_the_image_is_all_mean(frame, our_crop):
    mean = [10.0, 20.0, 30.0]
    ours = our_crop(frame, crop_window((-500, 900), 50), 127, mean)
    np.testing.assert_allclose(ours, np.broadcast_to(mean, ours.shape), atol=1e-4)


def test_padding_uses_the_given_first_frame_mean_not_the_current_frame(frame, our_crop):
    first_frame_mean = [1.0, 2.0, 3.0]
    ours = our_crop(frame, crop_window((0, 0), 100), 127, first_frame_mean)
    np.testing.assert_allclose(ours[0, 0], first_frame_mean, atol=1e-4)  # top-left is padding
    np.testing.assert_allclose(ours[-1, -1], frame[49, 49], atol=1e-4)   # bottom-right is image


def test_one_pixel_crop_fills_the_output_with_that_pixel(frame, our_crop):
    window = crop_window((30, 40), 1)
    ours = our_crop(frame, window, 127)
    pixel = frame[window.y0, window.x0].astype(np.float32)
    np.testing.assert_allclose(ours, np.broadcast_to(pixel, ours.shape))


def test_huge_crop_shows_the_whole_image_small_in_the_middle_and_mean_around(frame, our_crop):
    mean = frame.reshape(-1, 3).mean(axis=0)
    ours = our_crop(frame, crop_window((79.5, 59.5), 1600), 160)
    # The image covers ~16x12 output pixels in the centre; the borders are padding.
    np.testing.assert_allclose(ours[:20, :], np.broadcast_to(mean, ours[:20].shape), atol=1e-3)
    assert np.abs(ours[80, 80] - mean).max() > 1.0


def test_elongated_box_gets_a_square_window_of_the_context_side():
    side = context_side((200, 4), 0.5)
    assert side == pytest.approx(math.sqrt(302 * 106))
    window = crop_window((100, 100), round(side))
    assert window.side == round(side)


def test_crop_on_uint8_matches_the_public_uint8_pipeline_within_one_grey_level(frame, our_crop):
    """The public code pads a uint8 image with the truncated mean and resizes in uint8."""
    window = crop_window((20, 100), 150)
    mean = frame.reshape(-1, 3).mean(axis=0)
    reference = opencv_crop(frame, window, 255, np.floor(mean)).round()
    ours = our_crop(frame, window, 255, np.floor(mean))
    assert np.abs(ours - reference).max() <= 1.0


@pytest.mark.parametrize("side", [50, 300, 765, 766, 4000])  # both host methods, either side
def test_host_crop_equals_the_device_crop(frame, side):
    """The CPU path (OpenCV or numpy gather by window size) and the tensor path agree."""
    window = crop_window((10, 110), side)
    mean = frame.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(host_crop(frame, window, 255, mean),
                               device_crop(frame, window, 255, mean), atol=1e-3)
