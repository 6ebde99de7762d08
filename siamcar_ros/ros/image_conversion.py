"""Camera messages to BGR frames (and back) without requiring cv_bridge.

`cv_bridge` is used when it can be imported (a ROS 2 distribution install); otherwise the
raw encodings below are converted with numpy and OpenCV. Either way the message is first
checked here (encoding, size, step, data length) so that a bad image is refused with the
same clear reason in both cases.

The functions read message fields by name only (``encoding``, ``height``, ``width``,
``step``, ``is_bigendian``, ``data``, and ``format`` for compressed images), so they also
accept any object with those attributes and need no rclpy to be tested.

Encodings (names as in sensor_msgs/image_encodings):
- bgr8, rgb8, bgra8, rgba8, mono8: 8 bits per channel.
- mono16: 16-bit grey, byte order from ``is_bigendian``; scaled to 8 bits by keeping the
  high byte (value / 256), the same as cv_bridge.
- yuv422 / uyvy (U Y0 V Y1 byte order, which is what ROS calls "yuv422") and
  yuv422_yuy2 / yuyv (Y0 U Y1 V); the width must be even.
Rows may be padded: ``step`` may exceed ``width * bytes_per_pixel``; the padding is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)


class ImageConversionError(ValueError):
    """An image message that cannot be turned into a BGR frame; the text says why."""


@dataclass(frozen=True)
class _RawLayout:
    channels: int
    dtype: str  # numpy dtype of one channel value, little-endian form
    to_bgr: int | None  # cv2 colour conversion code, None when already BGR


_RAW_ENCODINGS: dict[str, _RawLayout] = {
    "bgr8": _RawLayout(3, "u1", None),
    "rgb8": _RawLayout(3, "u1", cv2.COLOR_RGB2BGR),
    "bgra8": _RawLayout(4, "u1", cv2.COLOR_BGRA2BGR),
    "rgba8": _RawLayout(4, "u1", cv2.COLOR_RGBA2BGR),
    "mono8": _RawLayout(1, "u1", cv2.COLOR_GRAY2BGR),
    "mono16": _RawLayout(1, "u2", cv2.COLOR_GRAY2BGR),
    # Packed 4:2:2: two bytes per pixel, read as a 2-channel 8-bit image by OpenCV.
    "yuv422": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "uyvy": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "yuv422_yuy2": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_YUYV),
    "yuyv": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_YUYV),
}

SUPPORTED_ENCODINGS: tuple[str, ...] = tuple(_RAW_ENCODINGS)


def bytes_per_pixel(encoding: str) -> int:
    layout = _layout_for(encoding)
    return layout.channels * np.dtype(layout.dtype).itemsize


def _layout_for(encoding: str) -> _RawLayout:
    layout = _RAW_ENCODINGS.get(encoding)
    if layout is None:
        raise ImageConversionError(
            f"unsupported image encoding '{encoding}'; supported: {', '.join(SUPPORTED_ENCODINGS)}"
        )
    return layout


def check_image_message(msg) -> None:
    """Raise ImageConversionError unless `msg` describes a convertible raw image."""
    encoding, height, width, step = msg.encoding, int(msg.height), int(msg.width), int(msg.step)
    layout = _layout_for(encoding)
    if height <= 0 or width <= 0:
        raise ImageConversionError(
            f"zero-size image ({width}x{height}, encoding '{encoding}'); width and height must be > 0"
        )
    row_bytes = width * bytes_per_pixel(encoding)
    if step < row_bytes:
        raise ImageConversionError(
            f"image step {step} is smaller than width x bytes per pixel = {row_bytes} "
            f"({width} px of '{encoding}')"
        )
    if layout.channels == 2 and width % 2:
        raise ImageConversionError(f"'{encoding}' needs an even width, got {width}")
    if len(msg.data) < height * step:
        raise ImageConversionError(
            f"image data has {len(msg.data)} bytes, fewer than height x step = "
            f"{height} x {step} = {height * step}"
        )


def raw_image_to_bgr(msg, max_pixels: int | None = None) -> np.ndarray:
    """sensor_msgs/Image-like -> HxWx3 uint8 BGR array (a fresh copy); more than
    ``max_pixels`` pixels is refused."""
    check_image_message(msg)
    check_pixel_count(int(msg.width), int(msg.height), max_pixels, "image")
    bridge = _cv_bridge()
    if bridge is not None:
        return np.ascontiguousarray(bridge.imgmsg_to_cv2(msg, desired_encoding="bgr8"))
    return _numpy_raw_to_bgr(msg)


def _numpy_raw_to_bgr(msg) -> np.ndarray:
    layout = _layout_for(msg.encoding)
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    rows = np.frombuffer(msg.data, dtype=np.uint8, count=height * step).reshape(height, step)
    # Drop the row padding before reinterpreting the bytes as pixels.
    pixel_bytes = rows[:, : width * bytes_per_pixel(msg.encoding)]
    dtype = np.dtype(layout.dtype)
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder(">" if msg.is_bigendian else "<")
    pixels = np.ascontiguousarray(pixel_bytes).view(dtype).reshape(height, width, layout.channels)
    if pixels.dtype.itemsize > 1:
        pixels = (pixels >> 8).astype(np.uint8)
    if layout.to_bgr is None:
        return pixels.copy()
    if layout.channels == 1:
        pixels = pixels[:, :, 0]
    return cv2.cvtColor(np.ascontiguousarray(pixels), layout.to_bgr)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (SOF0..SOF15 but DHT, JPG and DAC) carry the image size
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def compressed_image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) announced by a PNG or JPEG header, read without decoding; None for
    other formats or a header that cannot be read."""
    if data[:8] == _PNG_SIGNATURE and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker in _JPEG_SOF:
            height = int.from_bytes(data[position + 5:position + 7], "big")
            width = int.from_bytes(data[position + 7:position + 9], "big")
            return width, height
        if marker == 0xFF:          # fill byte
            position += 1
            continue
        position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
    return None


def check_pixel_count(width: int, height: int, max_pixels: int | None, what: str) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise ImageConversionError(
            f"{what} of {width}x{height} ({width * height / 1e6:.1f} MP) is larger than "
            f"max_image_pixels ({max_pixels / 1e6:.1f} MP); raise the parameter for such a camera")


def compressed_image_to_bgr(msg, max_pixels: int | None = None) -> np.ndarray:
    """sensor_msgs/CompressedImage-like (jpeg, png, ...) -> HxWx3 uint8 BGR array.

    ``max_pixels``: a PNG or JPEG whose header announces more pixels is refused before it is
    decoded (a small file may decode to gigabytes); other formats are checked after decoding.
    """
    raw = bytes(msg.data)
    data = np.frombuffer(raw, dtype=np.uint8)
    if data.size == 0:
        raise ImageConversionError(f"compressed image (format '{msg.format}') has no data")
    announced = compressed_image_size(raw)
    if announced is not None:
        check_pixel_count(*announced, max_pixels, f"compressed image (format '{msg.format}')")
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if frame is None or frame.size == 0:
        raise ImageConversionError(
            f"compressed image (format '{msg.format}', {data.size} bytes) could not be decoded; "
            "OpenCV decodes jpeg, png, webp, tiff, bmp"
        )
    check_pixel_count(frame.shape[1], frame.shape[0], max_pixels, "decoded image")
    return frame


def bgr_to_image_fields(frame: np.ndarray) -> dict:
    """Fields of a bgr8 sensor_msgs/Image for `frame` (HxWx3 uint8): assign them to a message."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ImageConversionError(f"expected an HxWx3 uint8 frame, got {frame.shape} {frame.dtype}")
    height, width = frame.shape[:2]
    return {
        "height": height,
        "width": width,
        "encoding": "bgr8",
        "is_bigendian": 0,
        "step": width * 3,
        "data": np.ascontiguousarray(frame).tobytes(),
    }


_BRIDGE_UNSET = object()
_bridge = _BRIDGE_UNSET


def _cv_bridge():
    """The shared CvBridge, or None when cv_bridge is not installed (checked once)."""
    global _bridge
    if _bridge is _BRIDGE_UNSET:
        try:
            from cv_bridge import CvBridge
        except ImportError:
            _bridge = None
            logger.debug("cv_bridge not importable; using the numpy image conversion")
        else:
            _bridge = CvBridge()
    return _bridge
