"""Init boxes as vision_msgs/Detection2D carries them (centre and size in pixels): checking one
received (`init_box_to_xywh`) and making one from a top-left box (`detection_for_box`).

- size 0 x 0: cancels tracking (`None` is returned);
- NaN or infinite values, negative sizes, or only one side zero: refused;
- a box entirely outside the image: refused; a box partly outside: clipped to the image,
  and refused when less than `MIN_SIDE_PX` pixels of it remain on either side.
"""

from __future__ import annotations

import math

MIN_SIDE_PX = 2.0


class InitBoxError(ValueError):
    """An init box that cannot start tracking; the text says why."""


def init_box_to_xywh(
    center_x: float, center_y: float, size_x: float, size_y: float, image_width: int, image_height: int
) -> tuple[float, float, float, float] | None:
    """Top-left box (x, y, w, h) inside the image, or None for a cancelling 0 x 0 box."""
    values = (center_x, center_y, size_x, size_y)
    described = f"centre ({center_x:g}, {center_y:g}) size {size_x:g} x {size_y:g}"
    if not all(math.isfinite(v) for v in values):
        raise InitBoxError(f"init box {described} has NaN or infinite values")
    if size_x == 0 and size_y == 0:
        return None
    if size_x <= 0 or size_y <= 0:
        raise InitBoxError(
            f"init box {described} has a non-positive side; sizes must be > 0 (0 x 0 cancels tracking)"
        )
    left, top = center_x - size_x / 2.0, center_y - size_y / 2.0
    right, bottom = left + size_x, top + size_y
    clipped_left, clipped_top = max(left, 0.0), max(top, 0.0)
    clipped_right, clipped_bottom = min(right, float(image_width)), min(bottom, float(image_height))
    width, height = clipped_right - clipped_left, clipped_bottom - clipped_top
    if width <= 0 or height <= 0:
        raise InitBoxError(f"init box {described} lies outside the {image_width}x{image_height} image")
    if width < MIN_SIDE_PX or height < MIN_SIDE_PX:
        where = "inside the image" if (width, height) == (size_x, size_y) else \
            f"inside the {image_width}x{image_height} image"
        raise InitBoxError(
            f"init box {described} is too small: {width:g} x {height:g} px {where}, each side "
            f"must be at least {MIN_SIDE_PX:g} px"
        )
    return clipped_left, clipped_top, width, height


def detection_for_box(box_xywh, header):
    """vision_msgs/Detection2D with `header` and the box (x, y, w, h) as centre and size."""
    from vision_msgs.msg import Detection2D

    x, y, w, h = (float(v) for v in box_xywh)
    detection = Detection2D()
    detection.header = header
    detection.bbox.center.position.x, detection.bbox.center.position.y = x + w / 2.0, y + h / 2.0
    detection.bbox.size_x, detection.bbox.size_y = w, h
    return detection
