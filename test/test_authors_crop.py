"""The reference strategy crops as the authors' code does (uint8 window, channel mean truncated
to an integer for the padding, uint8 resize), so its boxes equal theirs, not only its decoding.

The fixture is an independent transcription of their published crop description: pad the
whole image with the truncated mean wherever the window leaves it, cut the window, resize as
uint8. A tracker whose crop is replaced by it must give the same boxes."""
import math

import cv2
import numpy as np
import pytest
import torch

from siamcar_ros.data.procedural import generate_sequence
from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, TrackerParams
from siamcar_ros.tracking.crop import CropWindow, authors_crop, crop_and_resize_host, crop_window


def described_crop(image: np.ndarray, center, model_size: int, original_size: int,
                   channel_mean: np.ndarray) -> np.ndarray:
    """Their description, step by step: context_xmin = floor(cx - (sz + 1) / 2 + 0.5), padding
    amounts from the window's overhang, a uint8 image enlarged by the padding and filled with
    the mean (truncated by the uint8 assignment), the window cut from it, resized if needed."""
    rows, cols, channels = image.shape
    half = (original_size + 1) / 2
    xmin = math.floor(center[0] - half + 0.5)
    ymin = math.floor(center[1] - half + 0.5)
    xmax, ymax = xmin + original_size - 1, ymin + original_size - 1
    left, top = max(0, -xmin), max(0, -ymin)
    right, bottom = max(0, xmax - cols + 1), max(0, ymax - rows + 1)
    padded = np.zeros((rows + top + bottom, cols + left + right, channels), np.uint8)
    padded[top:top + rows, left:left + cols] = image
    if top:
        padded[:top, left:left + cols] = channel_mean
    if bottom:
        padded[rows + top:, left:left + cols] = channel_mean
    if left:
        padded[:, :left] = channel_mean
    if right:
        padded[:, cols + left:] = channel_mean
    patch = padded[ymin + top:ymax + top + 1, xmin + left:xmax + left + 1]
    if original_size != model_size:
        patch = cv2.resize(patch, (model_size, model_size))
    return patch.astype(np.float32)


@pytest.fixture(scope="module")
def frame():
    return generate_sequence(4, 2, (120, 160)).frames[0]


@pytest.mark.parametrize("center, side, out", [((80, 60), 90, 127), ((5, 8), 140, 255),
                                               ((150, 110), 70, 255), ((80, 60), 127, 127),
                                               ((-30, 200), 60, 127)])
def test_authors_crop_equals_the_described_crop_exactly(frame, center, side, out):
    mean = frame.reshape(-1, 3).mean(axis=0)
    ours = authors_crop(frame, crop_window(center, side), out, mean)
    np.testing.assert_array_equal(ours, described_crop(frame, center, out, side, mean))


def test_the_float_crop_differs_from_theirs(frame):
    mean = frame.reshape(-1, 3).mean(axis=0)
    window = CropWindow(-20, -10, 90)
    difference = np.abs(crop_and_resize_host(frame, window, 127, mean) - authors_crop(frame, window, 127, mean))
    assert 0 < difference.max() <= 1.5     # the truncated mean (< 1) and rounding (<= 0.5)


def test_reference_boxes_equal_those_made_with_the_described_crop(monkeypatch):
    sequence = generate_sequence(9, 30, (240, 320))
    frames = [sequence.frames[i] for i in range(30)]
    torch.manual_seed(0)
    model = build_model("alexnet", width_mult=0.25, neck_channels=16, head_channels=16, head_num_convs=1)
    params = TrackerParams(strategy="reference")

    def run(tracker):
        tracker.init(frames[0], tuple(sequence.ground_truth[0]))
        return np.array([tracker.track(f).bbox for f in frames[1:]])

    ours = run(SiamCARTracker(model, params, device="cpu", accelerator="none"))

    def transcribed(frame, window, out_size, pad_value):
        centre = (window.x0 + (window.side + 1) / 2 - 0.5, window.y0 + (window.side + 1) / 2 - 0.5)
        return described_crop(frame, centre, out_size, window.side, np.asarray(pad_value))

    import siamcar_ros.tracking.tracker as tracker_module
    monkeypatch.setattr(tracker_module, "authors_crop", transcribed)
    theirs = run(SiamCARTracker(model, params, device="cpu", accelerator="none"))
    assert np.abs(ours - theirs).max() <= 0.01
    assert np.abs(ours[-1] - ours[0]).max() > 1.0      # the boxes moved: real tracking compared
