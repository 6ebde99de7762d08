"""Image messages -> BGR frames: every supported encoding, padding, byte order, refusals."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from siamcar_ros.ros import image_conversion
from siamcar_ros.ros.image_conversion import (
    ImageConversionError,
    bgr_to_image_fields,
    compressed_image_to_bgr,
    raw_image_to_bgr,
)


@pytest.fixture(autouse=True)
def numpy_path_only(monkeypatch):
    # These tests check the numpy conversion itself, even where cv_bridge is installed.
    monkeypatch.setattr(image_conversion, "_bridge", None)


def reference_bgr(height=6, width=8):
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def image_msg(pixels: np.ndarray, encoding: str, padding: int = 0, bigendian: bool = False):
    height, width = pixels.shape[:2]
    row = pixels.reshape(height, -1).view(np.uint8).reshape(height, -1)
    padded = np.concatenate([row, np.full((height, padding), 77, np.uint8)], axis=1)
    return SimpleNamespace(
        encoding=encoding, height=height, width=width, step=padded.shape[1],
        is_bigendian=int(bigendian), data=padded.tobytes(),
    )


@pytest.mark.parametrize("padding", [0, 5])
def test_bgr8_is_returned_unchanged_with_row_padding_skipped(padding):
    bgr = reference_bgr()
    assert np.array_equal(raw_image_to_bgr(image_msg(bgr, "bgr8", padding)), bgr)


@pytest.mark.parametrize("padding", [0, 3])
def test_rgb8_and_alpha_encodings_are_reordered_to_bgr(padding):
    bgr = reference_bgr()
    rgb = bgr[:, :, ::-1].copy()
    alpha = np.full(bgr.shape[:2] + (1,), 9, np.uint8)
    assert np.array_equal(raw_image_to_bgr(image_msg(rgb, "rgb8", padding)), bgr)
    bgra = np.concatenate([bgr, alpha], axis=2)
    rgba = np.concatenate([rgb, alpha], axis=2)
    assert np.array_equal(raw_image_to_bgr(image_msg(bgra, "bgra8", padding)), bgr)
    assert np.array_equal(raw_image_to_bgr(image_msg(rgba, "rgba8", padding)), bgr)


def test_mono8_becomes_three_equal_channels():
    grey = reference_bgr()[:, :, 0].copy()
    out = raw_image_to_bgr(image_msg(grey, "mono8", padding=2))
    assert out.shape == grey.shape + (3,)
    for channel in range(3):
        assert np.array_equal(out[:, :, channel], grey)


@pytest.mark.parametrize("bigendian", [False, True])
def test_mono16_keeps_the_high_byte_in_either_byte_order(bigendian):
    values = np.arange(48, dtype=np.uint32).reshape(6, 8) * 1361
    grey16 = values.astype(">u2" if bigendian else "<u2")
    out = raw_image_to_bgr(image_msg(grey16, "mono16", padding=4, bigendian=bigendian))
    assert np.array_equal(out[:, :, 1], (values >> 8).astype(np.uint8))


def yuv_bytes(y_values, u, v, order):
    """Pack pairs of luma values with one chroma pair per two pixels in `order`."""
    height, width = y_values.shape
    packed = np.zeros((height, width * 2), np.uint8)
    for col in range(0, width, 2):
        y0, y1 = y_values[:, col], y_values[:, col + 1]
        parts = {"Y0": y0, "Y1": y1, "U": np.full(height, u), "V": np.full(height, v)}
        for k, name in enumerate(order):
            packed[:, col * 2 + k] = parts[name]
    return packed


@pytest.mark.parametrize(
    "encoding, order",
    [("yuv422", "U Y0 V Y1"), ("uyvy", "U Y0 V Y1"), ("yuv422_yuy2", "Y0 U Y1 V"), ("yuyv", "Y0 U Y1 V")],
)
def test_packed_yuv422_matches_a_grey_reference(encoding, order):
    # Neutral chroma (128) makes every pixel grey with its own luma: a layout check that
    # fails if luma and chroma bytes are swapped.
    luma = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5 + 10
    packed = yuv_bytes(luma, 128, 128, order.split())
    msg = SimpleNamespace(encoding=encoding, height=6, width=8, step=packed.shape[1] + 4,
                          is_bigendian=0,
                          data=np.concatenate([packed, np.zeros((6, 4), np.uint8)], 1).tobytes())
    out = raw_image_to_bgr(msg)
    expected_grey = cv2.cvtColor(cv2.cvtColor(luma, cv2.COLOR_GRAY2BGR), cv2.COLOR_BGR2GRAY)
    assert np.abs(out[:, :, 1].astype(int) - expected_grey.astype(int)).max() <= 20
    assert np.abs(out[:, :, 0].astype(int) - out[:, :, 2].astype(int)).max() <= 2


def test_unsupported_encoding_is_refused_by_name():
    msg = image_msg(reference_bgr(), "bgr8")
    msg.encoding = "bayer_rggb8"
    with pytest.raises(ImageConversionError, match="bayer_rggb8"):
        raw_image_to_bgr(msg)


def test_data_shorter_than_height_times_step_is_refused():
    msg = image_msg(reference_bgr(), "bgr8")
    msg.data = msg.data[:-1]
    with pytest.raises(ImageConversionError, match="fewer than height x step"):
        raw_image_to_bgr(msg)


def test_zero_size_image_is_refused():
    msg = SimpleNamespace(encoding="bgr8", height=0, width=640, step=1920, is_bigendian=0, data=b"")
    with pytest.raises(ImageConversionError, match="zero-size"):
        raw_image_to_bgr(msg)


def test_step_smaller_than_a_row_is_refused():
    msg = image_msg(reference_bgr(), "bgr8")
    msg.step = 8 * 3 - 1
    with pytest.raises(ImageConversionError, match="step"):
        raw_image_to_bgr(msg)


def test_odd_width_yuv_is_refused():
    msg = SimpleNamespace(encoding="yuyv", height=2, width=3, step=6, is_bigendian=0, data=bytes(12))
    with pytest.raises(ImageConversionError, match="even width"):
        raw_image_to_bgr(msg)


def test_compressed_jpeg_and_png_decode_to_bgr():
    bgr = reference_bgr(32, 48)
    ok, png = cv2.imencode(".png", bgr)
    assert ok
    out = compressed_image_to_bgr(SimpleNamespace(format="png", data=png.tobytes()))
    assert np.array_equal(out, bgr)
    ok, jpeg = cv2.imencode(".jpg", bgr)
    out = compressed_image_to_bgr(SimpleNamespace(format="jpeg", data=jpeg.tobytes()))
    assert out.shape == bgr.shape


def test_compressed_garbage_and_empty_data_are_refused():
    with pytest.raises(ImageConversionError, match="could not be decoded"):
        compressed_image_to_bgr(SimpleNamespace(format="jpeg", data=b"not an image at all"))
    with pytest.raises(ImageConversionError, match="no data"):
        compressed_image_to_bgr(SimpleNamespace(format="jpeg", data=b""))


def test_bgr_frame_round_trips_through_image_fields():
    bgr = reference_bgr()
    fields = bgr_to_image_fields(bgr)
    assert fields["encoding"] == "bgr8" and fields["step"] == 24
    assert np.array_equal(raw_image_to_bgr(SimpleNamespace(**fields)), bgr)


def test_compressed_headers_announce_the_size_without_decoding():
    from siamcar_ros.ros.image_conversion import compressed_image_size

    frame = np.zeros((37, 53, 3), np.uint8)
    for extension in (".png", ".jpg"):
        data = cv2.imencode(extension, frame)[1].tobytes()
        assert compressed_image_size(data) == (53, 37), extension
    assert compressed_image_size(b"not an image") is None


def test_an_oversized_compressed_image_is_refused_before_decoding():
    """A small PNG that would decode to 12000 x 12000 (432 MB) is refused from its header: fast,
    with no decoding memory."""
    import time
    import tracemalloc

    data = cv2.imencode(".png", np.zeros((12000, 12000), np.uint8))[1].tobytes()
    assert len(data) < 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageConversionError, match=r"12000x12000 \(144.0 MP\) is larger than max_image_pixels"):
        compressed_image_to_bgr(SimpleNamespace(format="png", data=data), max_pixels=4096 * 4096)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 20 * len(data) + 10_000_000


def test_an_oversized_raw_image_is_refused():
    msg = SimpleNamespace(encoding="mono8", height=3000, width=4000, step=4000, is_bigendian=0,
                          data=bytes(3000 * 4000))
    with pytest.raises(ImageConversionError, match="max_image_pixels"):
        raw_image_to_bgr(msg, max_pixels=1_000_000)
