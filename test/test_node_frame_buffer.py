"""The node's frame buffer, init-box checks and overlay (no ROS)."""

import math

import numpy as np
import pytest

from siamcar_ros.ros.frame_buffer import FrameBuffer, FrameLookupError, FrameOrderError
from siamcar_ros.ros.init_box import InitBoxError, init_box_to_xywh
from siamcar_ros.ros.overlay import draw_overlay
from siamcar_ros.tracking.session import TrackState as TrackingState

MS = 1_000_000


def filled_buffer(stamps_ms, capacity=5):
    buffer = FrameBuffer(capacity)
    for stamp in stamps_ms:
        buffer.push(stamp * MS, f"frame{stamp}", received_ns=0)
    return buffer


def test_take_newest_skips_and_counts_unprocessed_frames():
    buffer = filled_buffer([10, 20, 30])
    frame, skipped = buffer.take_newest()
    assert frame.message == "frame30" and skipped == 2
    assert buffer.take_newest() == (None, 0)
    buffer.push(40 * MS, "frame40", 0)
    frame, skipped = buffer.take_newest()
    assert frame.message == "frame40" and skipped == 0


def test_capacity_keeps_only_the_newest_frames():
    buffer = filled_buffer(range(10, 100, 10), capacity=3)
    assert len(buffer) == 3
    with pytest.raises(FrameLookupError, match="older than the oldest"):
        buffer.find(20 * MS, tolerance_ns=MS)


def test_find_exact_nearest_and_zero_stamp():
    buffer = filled_buffer([10, 20, 30])
    assert buffer.find(20 * MS, tolerance_ns=0).message == "frame20"
    assert buffer.find(21 * MS, tolerance_ns=2 * MS).message == "frame20"
    assert buffer.find(0, tolerance_ns=0).message == "frame30"


def test_find_refuses_gaps_future_stamps_and_an_empty_buffer():
    buffer = filled_buffer([10, 20, 30])
    with pytest.raises(FrameLookupError, match="no buffered frame within"):
        buffer.find(15 * MS, tolerance_ns=2 * MS)
    with pytest.raises(FrameLookupError, match="not been received"):
        buffer.find(50 * MS, tolerance_ns=2 * MS)
    with pytest.raises(FrameLookupError, match="no image received yet"):
        FrameBuffer(3).find(0, tolerance_ns=0)


def test_out_of_order_frames_are_refused_and_clear_allows_a_clock_jump_back():
    buffer = filled_buffer([10, 20])
    with pytest.raises(FrameOrderError, match="stamp order"):
        buffer.push(15 * MS, "late", 0)
    with pytest.raises(FrameOrderError):
        buffer.push(20 * MS, "duplicate", 0)
    buffer.clear()
    buffer.push(1 * MS, "after reset", 0)
    assert buffer.take_newest()[0].message == "after reset"


def test_newer_than_and_mark_taken():
    buffer = filled_buffer([10, 20, 30])
    newer = buffer.newer_than(10 * MS)
    assert [f.message for f in newer] == ["frame20", "frame30"]
    buffer.mark_taken(newer[0].sequence)
    frame, skipped = buffer.take_newest()
    assert frame.message == "frame30" and skipped == 0


def test_init_box_centre_size_to_top_left_and_clipping():
    assert init_box_to_xywh(50, 40, 20, 10, 640, 480) == (40, 35, 20, 10)
    assert init_box_to_xywh(5, 5, 20, 20, 640, 480) == (0, 0, 15, 15)
    assert init_box_to_xywh(100, 100, 0, 0, 640, 480) is None  # cancels


@pytest.mark.parametrize(
    "box, message",
    [
        ((math.nan, 10, 20, 20), "NaN"),
        ((10, 10, math.inf, 20), "NaN or infinite"),
        ((10, 10, 0, 20), "non-positive"),
        ((10, 10, -5, 20), "non-positive"),
        ((900, 100, 20, 20), "outside"),
        ((100, -30, 20, 20), "outside"),
    ],
)
def test_bad_init_boxes_are_refused(box, message):
    with pytest.raises(InitBoxError, match=message):
        init_box_to_xywh(*box, 640, 480)


def test_overlay_draws_on_a_copy():
    frame = np.zeros((60, 80, 3), np.uint8)
    out = draw_overlay(frame, (10, 10, 20, 20), TrackingState.TRACKING, 0.8, 30.0)
    assert frame.sum() == 0 and out[30, 20].tolist() == [0, 220, 0]


def test_a_clock_jump_back_clears_the_buffer_and_keeps_the_frame():
    buffer = filled_buffer([5000, 5033, 5066])
    with pytest.raises(FrameOrderError, match="stamp order"):
        buffer.push(5040 * MS, "late", received_ns=0)          # a small reorder: refused
    frame = buffer.push(100 * MS, "after the loop", received_ns=0)  # 4.9 s back: a jump
    assert frame.after_clock_jump and len(buffer) == 1
    assert buffer.take_newest()[0].message == "after the loop"


def test_the_buffer_is_bounded_in_bytes_and_keeps_the_newest_frame():
    buffer = FrameBuffer(10, max_bytes=2500)
    for k in range(5):
        buffer.push((k + 1) * MS, f"frame{k}", received_ns=0, nbytes=1000)
    assert len(buffer) == 2 and buffer.nbytes == 2000
    buffer.push(9 * MS, "huge", received_ns=0, nbytes=10_000)
    assert len(buffer) == 1 and buffer.take_newest()[0].message == "huge"


def test_stamp_zero_takes_the_newest_frame_only_while_it_is_recent():
    buffer = FrameBuffer(3)
    buffer.push(1 * MS, "newest", received_ns=1_000_000_000)
    assert buffer.find(0, 0, max_age_ns=500 * MS, now_ns=1_400_000_000).message == "newest"
    with pytest.raises(FrameLookupError, match=r"arrived 2.0 s ago \(more than init_max_age_s 0.5 s\)"):
        buffer.find(0, 0, max_age_ns=500 * MS, now_ns=3_000_000_000)


def test_a_tiny_box_is_called_too_small_not_outside():
    with pytest.raises(InitBoxError, match=r"too small: 1 x 1 px inside the image, each side must be at least 2 px"):
        init_box_to_xywh(100.5, 100.5, 1, 1, 640, 480)
    with pytest.raises(InitBoxError, match="too small: 1 x 20 px inside the 640x480 image"):
        init_box_to_xywh(-9, 100, 20, 20, 640, 480)


def test_the_overlay_label_is_fill_on_a_plain_box_with_no_stray_outline():
    """Every pixel of the label is the box colour, the fill colour or a blend of the two: no
    outline strokes of another colour (OpenCV 5 draws a wide outline off the fill)."""
    from siamcar_ros.ros.overlay import LABEL_BACKGROUND, draw_label

    canvas = np.full((60, 400, 3), 255, np.uint8)
    fill = np.array((0, 220, 0), np.float64)
    x0, y0, x1, y1 = draw_label(canvas, "TRACKING conf 0.93 29.8 fps", (8, 22), tuple(int(v) for v in fill))
    label = canvas[y0:y1, x0:x1].reshape(-1, 3).astype(np.float64)
    background = np.array(LABEL_BACKGROUND, np.float64)
    share = ((label - background) @ (fill - background)) / ((fill - background) @ (fill - background))
    off_line = np.linalg.norm(label - (background + share[:, None] * (fill - background)), axis=1)
    assert off_line.max() < 3.0 and (share > 0.9).sum() > 100
    assert (canvas[:y0] == 255).all() and (canvas[y1:] == 255).all()
