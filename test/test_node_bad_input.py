"""Bad input to the running node: each is refused with a reason in the log and in ~/status,
and the node keeps running and keeps its target."""

import math

import numpy as np
import pytest

from node_test_support import NodeHarness, image_message, init_message, scene, small_checkpoint, stamp_ns_of
from wait_support import let_time_pass

pytestmark = pytest.mark.ros

SECOND = 1_000_000_000
FRAME_NS = 33_000_000
TRACKING = 1
STALE = 4


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    checkpoint = small_checkpoint(tmp_path_factory.mktemp("model"))
    harness = NodeHarness(domain_id=63, parameters={"checkpoint": str(checkpoint), "rate_hz": 100.0,
                                                     "device": "cpu", "frame_buffer_length": 5,
                                                     "lost_threshold": 0.0})
    harness.configure_and_activate()
    yield harness
    harness.close()


@pytest.fixture
def tracking(harness):
    """A fresh target being tracked; returns the stamp to continue from."""
    assert harness.reset().success
    tracking.clock = getattr(tracking, "clock", 0) + 100 * SECOND
    harness.statuses.clear()
    harness.detections.clear()
    harness.start_tracking(tracking.clock)
    return tracking.clock


@pytest.fixture
def idle(harness):
    assert harness.reset().success
    harness.statuses.clear()
    return harness


def still_tracking(harness, stamp_ns):
    """A good frame after the bad input is still tracked and published."""
    detection = harness.publish_and_wait_detection(scene(3)[0], stamp_ns)
    assert detection.bbox.size_x > 0
    assert harness.node.session.state == TRACKING


def test_unsupported_encoding_is_refused_by_name(harness, tracking):
    msg = image_message(scene(1)[0], tracking + FRAME_NS)
    msg.encoding = "bayer_rggb8"
    harness.image_pub.publish(msg)
    assert "unsupported image encoding 'bayer_rggb8'" in harness.status_with("image refused").message
    still_tracking(harness, tracking + 2 * FRAME_NS)


def test_data_shorter_than_height_times_step_is_refused(harness, tracking):
    msg = image_message(scene(1)[0], tracking + FRAME_NS)
    msg.data = bytes(msg.data)[: len(msg.data) // 2]
    harness.image_pub.publish(msg)
    assert "fewer than height x step" in harness.status_with("image refused").message
    still_tracking(harness, tracking + 2 * FRAME_NS)


def test_zero_size_image_is_refused(harness, tracking):
    msg = image_message(np.zeros((0, 0, 3), np.uint8), tracking + FRAME_NS)
    harness.image_pub.publish(msg)
    assert "zero-size image" in harness.status_with("image refused").message
    still_tracking(harness, tracking + 2 * FRAME_NS)


def test_image_size_change_mid_track_is_refused_until_a_new_init(harness, tracking):
    bigger, _ = scene(1, width=400, height=300)
    harness.publish_frame(bigger, tracking + FRAME_NS)
    status = harness.status_with("refused: the target was initialised on 320x240")
    assert "400x300" in status.message and status.state in (TRACKING, STALE)
    still_tracking(harness, tracking + 2 * FRAME_NS)


def test_a_held_target_goes_stale_while_frames_are_refused_and_recovers(harness, tracking):
    """The status never presents a frozen box as current: refused frames for longer than a few
    frame periods make it STALE (box and follow-me figures 0, the reason given), and the next
    good frame brings the tracking state back."""
    harness.publish_and_wait_detection(scene(1)[0], tracking + FRAME_NS)
    bigger, _ = scene(2, width=400, height=300)
    for k in range(8):                       # 0.8 s of frames of the wrong size
        harness.publish_frame(bigger, tracking + (2 + k) * FRAME_NS)
        let_time_pass(0.1, "refused frames keep coming at 10 Hz for longer than a few frame periods")
    stale = harness.wait_until(lambda: next((s for s in reversed(harness.statuses) if s.state == STALE), None),
                               "a STALE status")
    assert "no frame processed for" in stale.message and "initialised on 320x240" in stale.message
    assert stale.bbox_width == 0 and stale.target_area_fraction == 0 and stale.confidence == 0
    harness.statuses.clear()
    harness.publish_and_wait_detection(scene(3)[0], tracking + 20 * FRAME_NS)
    back = harness.wait_until(lambda: next((s for s in harness.statuses
                                            if s.processed_frames and s.state == TRACKING), None),
                              "a TRACKING status")
    assert "frames processed again" in back.message and back.bbox_width > 0


@pytest.mark.parametrize(
    "box, reason",
    [
        ((math.nan, 50.0, 40.0, 40.0), "NaN"),
        ((900.0, 50.0, 40.0, 40.0), "outside the 320x240 image"),
        ((60.0, 50.0, 0.0, 40.0), "non-positive side"),
    ],
)
def test_bad_init_boxes_are_refused_and_the_target_kept(harness, tracking, box, reason):
    harness.init_pub.publish(init_message(box, 0))
    assert reason in harness.status_with("init box refused").message
    still_tracking(harness, tracking + FRAME_NS)


def test_init_before_any_image_is_refused(idle):
    idle.node.pipeline.buffer.clear()
    idle.init_pub.publish(init_message(scene(0)[1], 0))
    assert "no image received yet" in idle.status_with("init box refused").message
    assert idle.node.session.state == 0


def test_init_stamp_older_than_the_buffer_is_refused(harness, tracking):
    for k in range(1, 7):  # buffer holds 5 frames: the init frame has left it
        harness.publish_and_wait_detection(scene(k)[0], tracking + k * FRAME_NS)
    harness.init_pub.publish(init_message(scene(0)[1], tracking))
    assert "older than the oldest buffered frame" in harness.status_with("init box refused").message
    still_tracking(harness, tracking + 7 * FRAME_NS)


def test_frames_out_of_order_are_dropped_and_counted(harness, tracking):
    harness.publish_and_wait_detection(scene(2)[0], tracking + 2 * FRAME_NS)
    dropped_before = harness.statuses[-1].dropped_frames
    harness.publish_frame(scene(1)[0], tracking + FRAME_NS)  # older than the newest frame
    refused = harness.status_with("frames must arrive in stamp order")
    assert stamp_ns_of(refused) == tracking + FRAME_NS and refused.state == TRACKING
    detection = harness.publish_and_wait_detection(scene(3)[0], tracking + 3 * FRAME_NS)
    status = harness.wait_until(lambda: next((s for s in reversed(harness.statuses)
                                              if stamp_ns_of(s) == stamp_ns_of(detection)), None), "status")
    assert status.dropped_frames >= dropped_before + 1
    assert not any(stamp_ns_of(d) == tracking + FRAME_NS for d in harness.detections)


def test_frames_stamped_zero_are_tracked_with_their_arrival_time(harness, tracking):
    """A camera that stamps every frame 0 (stamp_policy auto): every frame is tracked, and the
    outputs carry the arrival time."""
    harness.detections.clear()
    for step in range(1, 5):
        harness.publish_frame(scene(step)[0], 0)
        harness.wait_until(lambda: len(harness.detections) >= step, f"detection {step}")
    stamps = [stamp_ns_of(d) for d in harness.detections]
    assert all(s > 0 for s in stamps) and stamps == sorted(stamps) and len(set(stamps)) == 4


def test_a_clock_jump_back_clears_the_buffer_and_tracking_goes_on_without_a_reset(harness, tracking):
    harness.publish_and_wait_detection(scene(1)[0], tracking + FRAME_NS)
    looped = tracking - 60 * SECOND                   # a bag starting over
    status = None
    detection = harness.publish_and_wait_detection(scene(2)[0], looped)
    status = harness.status_with("clock jumped back")
    assert "frame buffer cleared, tracking goes on" in status.message
    assert detection.bbox.size_x > 0 and harness.node.session.state == TRACKING
    harness.publish_and_wait_detection(scene(3)[0], looped + FRAME_NS)


def test_an_init_box_stamped_zero_on_an_old_frame_is_refused(harness, idle):
    assert harness.set_parameters(init_max_age_s=0.3)[0].successful
    try:
        stamp = 900 * SECOND
        harness.publish_frame(scene(0)[0], stamp)
        harness.wait_until(lambda: harness.has_frame(stamp), "the frame")
        let_time_pass(0.5, "the buffered frame grows older than init_max_age_s (0.3 s)")
        harness.init_pub.publish(init_message(scene(0)[1], 0))
        assert "more than init_max_age_s 0.3 s" in harness.status_with("init box refused").message
        assert harness.node.session.state == 0
    finally:
        assert harness.set_parameters(init_max_age_s=1.0)[0].successful


def test_an_oversized_compressed_image_is_refused_quickly(tmp_path):
    """The compressed subscription: a PNG announcing 12000 x 12000 is refused from its header."""
    import resource
    import time

    import cv2
    from sensor_msgs.msg import CompressedImage

    checkpoint = small_checkpoint(tmp_path)
    h = NodeHarness(domain_id=59, parameters={"checkpoint": str(checkpoint), "device": "cpu",
                                              "image_type": "compressed", "image_topic": "image_png"},
                    node_name="tracker_compressed")
    try:
        h.configure_and_activate_for("image_png")
        publisher = h.client.create_publisher(CompressedImage, "image_png", 5)
        h.wait_until(lambda: publisher.get_subscription_count() > 0, "the compressed subscription")
        frame, box = scene(0)
        first = CompressedImage(format="jpeg", data=cv2.imencode(".jpg", frame)[1].tobytes())
        first.header.stamp.sec = 5
        publisher.publish(first)
        h.wait_until(lambda: h.has_frame(5 * SECOND), "the first frame")
        h.init_pub.publish(init_message(box, 5 * SECOND))
        h.status_with("tracking target")
        huge = CompressedImage(format="png", data=cv2.imencode(".png", np.zeros((12000, 12000), np.uint8))[1].tobytes())
        huge.header.stamp.sec = 6
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KB, this process (the node's too)
        started = time.monotonic()
        publisher.publish(huge)
        status = h.status_with("larger than max_image_pixels")
        assert time.monotonic() - started < 2.0
        # decoding it would have taken 432 MB (12000 x 12000 x 3); the peak did not move that far
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000
        assert "12000x12000" in status.message and h.node.session.state == TRACKING
    finally:
        h.close()
