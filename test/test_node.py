"""The tracking node over DDS: detections per frame, init by stamp, runtime parameters,
debug image on demand, reset, LOST detection."""

import math
import threading
import time

import pytest

from siamcar_ros.tracking.confidence import DEFAULT_LOST_THRESHOLD
from siamcar_ros.tracking.session import RedetectionSettings

from node_test_support import (
    HEIGHT,
    WIDTH,
    NodeHarness,
    init_message,
    scene,
    small_checkpoint,
    stamp_ns_of,
)
from wait_support import let_time_pass

pytestmark = pytest.mark.ros

SECOND = 1_000_000_000
FRAME_NS = 33_000_000


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    checkpoint = small_checkpoint(tmp_path_factory.mktemp("model"))
    harness = NodeHarness(domain_id=62, parameters={"checkpoint": str(checkpoint), "rate_hz": 100.0,
                                                     "device": "cpu"})
    harness.configure_and_activate()
    yield harness
    harness.close()


@pytest.fixture
def fresh(harness):
    """Each test starts untracked with an empty frame buffer, at a later time than the last."""
    assert harness.reset().success
    fresh.clock = getattr(fresh, "clock", 100 * SECOND) + 100 * SECOND
    harness.detections.clear()
    harness.statuses.clear()
    return fresh.clock


def test_each_frame_gives_a_detection_with_its_stamp_and_a_status(harness, fresh):
    harness.start_tracking(fresh)
    for step in range(1, 8):
        frame, _ = scene(step)
        detection = harness.publish_and_wait_detection(frame, fresh + step * FRAME_NS)
        assert detection.header.frame_id == "camera"
        assert detection.id != ""
        assert all(math.isfinite(v) for v in (detection.bbox.center.position.x, detection.bbox.size_x))
        assert 0 <= detection.bbox.center.position.x <= WIDTH and 0 <= detection.bbox.center.position.y <= HEIGHT
        if detection.results:
            assert detection.results[0].hypothesis.class_id == "target"
            assert 0.0 <= detection.results[0].hypothesis.score <= 1.0
    stamps = [stamp_ns_of(d) for d in harness.detections]
    assert stamps == sorted(stamps) and len(stamps) == 7
    status = harness.wait_until(lambda: next((s for s in reversed(harness.statuses)
                                              if stamp_ns_of(s) == fresh + 7 * FRAME_NS), None), "status")
    assert status.processed_frames >= 7 and status.image_width == WIDTH and status.image_height == HEIGHT
    assert status.latency_ms >= status.tracker_ms > 0
    assert -1.0 <= status.target_offset_x <= 1.0 and 0.0 < status.target_area_fraction <= 1.0


def test_detections_are_the_library_trackers_boxes_frame_by_frame(harness, fresh):
    from siamcar_ros.tracking import load_tracker

    offline = load_tracker(harness.node.get_parameter("checkpoint").value, device="cpu")
    first_frame, first_box = scene(0)
    offline.init(first_frame, first_box)
    harness.start_tracking(fresh)
    for step in range(1, 6):
        frame, _ = scene(step)
        detection = harness.publish_and_wait_detection(frame, fresh + step * FRAME_NS)
        x, y, w, h = offline.track(frame).bbox
        centre = (detection.bbox.center.position.x, detection.bbox.center.position.y)
        assert centre == pytest.approx((x + w / 2, y + h / 2), abs=1e-3)
        assert (detection.bbox.size_x, detection.bbox.size_y) == pytest.approx((w, h), abs=1e-3)


def test_init_stamp_of_a_buffered_frame_initialises_on_that_frame(harness, fresh):
    stamps = [fresh + k * FRAME_NS for k in range(5)]
    for k, stamp in enumerate(stamps):
        harness.publish_frame(scene(k)[0], stamp)
    harness.wait_until(lambda: harness.has_frame(stamps[-1]), "five buffered frames")
    chosen = stamps[2]
    harness.init_pub.publish(init_message(scene(2)[1], chosen))
    seconds, nanoseconds = divmod(chosen, SECOND)
    status = harness.status_with(f"from the frame stamped {seconds}.{nanoseconds:09d}")
    assert "caught up over 1 newer buffered frames" in status.message
    # The newest buffered frame is then tracked and published.
    harness.wait_until(lambda: any(stamp_ns_of(d) == stamps[-1] for d in harness.detections), "newest frame")


def test_zero_stamp_init_uses_the_newest_frame_and_zero_size_cancels(harness, fresh):
    harness.publish_frame(scene(0)[0], fresh)
    harness.publish_frame(scene(1)[0], fresh + FRAME_NS)
    harness.wait_until(lambda: harness.has_frame(fresh + FRAME_NS), "two buffered frames")
    harness.init_pub.publish(init_message(scene(1)[1], 0))
    seconds, nanoseconds = divmod(fresh + FRAME_NS, SECOND)
    harness.status_with(f"from the frame stamped {seconds}.{nanoseconds:09d}")
    harness.init_pub.publish(init_message((100.0, 100.0, 0.0, 0.0), 0))
    assert harness.status_with("cancelled by a 0 x 0 init box").state == 0  # IDLE
    harness.detections.clear()
    harness.publish_frame(scene(2)[0], fresh + 2 * FRAME_NS)
    harness.wait_until(lambda: harness.has_frame(fresh + 2 * FRAME_NS), "a frame after cancel")
    assert harness.detections == []


def test_reset_stops_publishing_until_a_new_init(harness, fresh):
    harness.start_tracking(fresh)
    harness.publish_and_wait_detection(scene(1)[0], fresh + FRAME_NS)
    response = harness.reset()
    assert response.success and "reset" in response.message
    harness.detections.clear()
    harness.publish_frame(scene(2)[0], fresh + 2 * FRAME_NS)
    harness.wait_until(lambda: harness.has_frame(fresh + 2 * FRAME_NS), "a frame after reset")
    assert harness.detections == []
    assert harness.status_with("tracking reset").state == 0


def test_runtime_tracking_parameters_are_accepted_and_bad_ones_refused(harness, fresh):
    results = harness.set_parameters(penalty_k=0.1, window_influence=0.3, preset="OTB100", lost_patience=3)
    assert all(r.successful for r in results)
    bad = harness.set_parameters(lost_threshold=2.0)[0]
    assert not bad.successful and "lost_threshold" in bad.reason and "0..1" in bad.reason
    model_change = harness.set_parameters(checkpoint="/elsewhere/model.pth")[0]
    assert not model_change.successful and "cleanup" in model_change.reason
    assert harness.node.get_parameter("lost_threshold").value == pytest.approx(DEFAULT_LOST_THRESHOLD)
    # Applied from the next processed frame.
    harness.start_tracking(fresh)
    harness.publish_and_wait_detection(scene(1)[0], fresh + FRAME_NS)
    assert harness.node.parameters.penalty_k == pytest.approx(0.1)
    assert harness.node.session.loss.lost_patience == 3
    assert harness.set_parameters(penalty_k=-1.0, window_influence=-1.0, preset="", lost_patience=10)[0].successful


def test_target_lost_when_confidence_stays_below_threshold_then_recovers(harness, fresh):
    harness.start_tracking(fresh)
    # without re-detection the local tracker goes on while LOST
    assert harness.set_parameters(lost_threshold=1.0, lost_patience=2, redetection=False)[0].successful
    for step in range(1, 4):
        harness.publish_and_wait_detection(scene(step)[0], fresh + step * FRAME_NS)
    lost = harness.status_with("target lost")
    assert lost.state == 2
    last = harness.detections[-1]
    assert last.results == [] and last.bbox.size_x > 0  # LOST: box kept, no hypothesis
    assert harness.set_parameters(lost_threshold=0.0)[0].successful
    harness.publish_and_wait_detection(scene(4)[0], fresh + 4 * FRAME_NS)
    assert harness.status_with("target recovered").state == 1
    assert harness.set_parameters(lost_threshold=DEFAULT_LOST_THRESHOLD, lost_patience=10)[0].successful


def test_debug_image_is_published_only_while_subscribed(harness, fresh):
    from sensor_msgs.msg import Image

    harness.start_tracking(fresh)
    harness.publish_and_wait_detection(scene(1)[0], fresh + FRAME_NS)
    assert harness.node.pipeline.debug_images_rendered == 0
    received = []
    subscription = harness.client.create_subscription(Image, "siamcar_tracker/debug_image", received.append, 10)
    harness.wait_until(lambda: harness.node.count_subscribers("~/debug_image") > 0, "debug subscriber")
    harness.publish_and_wait_detection(scene(2)[0], fresh + 2 * FRAME_NS)
    image = harness.wait_until(lambda: received[-1] if received else None, "a debug image")
    assert (image.width, image.height, image.encoding) == (WIDTH, HEIGHT, "bgr8")
    assert stamp_ns_of(image) == fresh + 2 * FRAME_NS
    harness.client.destroy_subscription(subscription)
    harness.wait_until(lambda: harness.node.count_subscribers("~/debug_image") == 0, "debug unsubscribe")
    rendered = harness.node.pipeline.debug_images_rendered
    assert rendered >= 1
    harness.publish_and_wait_detection(scene(3)[0], fresh + 3 * FRAME_NS)
    assert harness.node.pipeline.debug_images_rendered == rendered  # no subscriber: not even drawn


def test_slow_steps_never_block_reception_and_only_the_newest_frame_is_tracked(harness, fresh):
    harness.start_tracking(fresh)
    tracker = harness.node.tracker
    real_track = tracker.track
    step_started = threading.Event()
    step_released = threading.Event()
    step_finished = threading.Event()

    def slow_track(frame, *args, **kwargs):  # the real step, held until the camera has sent 9 more frames
        step_started.set()
        step_released.wait(timeout=60.0)
        try:
            return real_track(frame, *args, **kwargs)
        finally:
            step_finished.set()

    tracker.track = slow_track
    try:
        stamps = [fresh + k * FRAME_NS for k in range(1, 11)]
        harness.publish_frame(scene(1)[0], stamps[0])
        assert step_started.wait(timeout=10.0)
        for k, stamp in enumerate(stamps[1:], start=2):
            harness.publish_frame(scene(k)[0], stamp)
            let_time_pass(1 / 30, "frames come at the camera's 30 Hz")
        # All frames are stored while the first step is still running (it is held until they are).
        harness.wait_until(lambda: harness.has_frame(stamps[-1]), "the newest frame stored during the step")
        assert not step_finished.is_set()
        step_released.set()
        harness.wait_until(lambda: any(stamp_ns_of(d) == stamps[-1] for d in harness.detections), "newest")
    finally:
        step_released.set()
        tracker.track = real_track
    published = {stamp_ns_of(d) for d in harness.detections}
    assert published & set(stamps) == {stamps[0], stamps[-1]}  # the stale ones were skipped
    status = harness.wait_until(lambda: next((s for s in reversed(harness.statuses)
                                              if stamp_ns_of(s) == stamps[-1]), None), "status")
    assert status.dropped_frames >= 8


def test_diagnostics_are_published_about_once_a_second(harness, fresh):
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

    received = []
    harness.client.create_subscription(DiagnosticArray, "/diagnostics", received.append, 10)
    harness.start_tracking(fresh)
    started, step = time.monotonic(), 1
    while len(received) < 2 and time.monotonic() - started < 5.0:   # frames keep flowing
        harness.publish_and_wait_detection(scene(step % 20)[0], fresh + step * FRAME_NS)
        step += 1
        let_time_pass(0.05, "frames flow at about 20 Hz while the diagnostics are awaited")
    assert len(received) >= 2 and time.monotonic() - started < 4.0
    status = received[-1].status[0]
    assert status.name == f"/{harness.name}: tracking", status.name
    values = {v.key: v.value for v in status.values}
    # the small untrained model may lose the target: OK while tracking, a warning otherwise
    assert values["state"] in ("TRACKING", "LOST", "SEARCHING") and int(values["processed_frames"]) >= 1
    assert (status.level == DiagnosticStatus.OK) == (values["state"] == "TRACKING"), status.message
    assert {"frames_per_second", "latency_ms", "dropped_frames", "device", "model"} <= set(values)
    assert "cpu" in values["device"]


def test_out_of_range_redetection_parameters_are_refused_and_the_target_kept(harness, fresh):
    harness.start_tracking(fresh)
    harness.publish_and_wait_detection(scene(1)[0], fresh + FRAME_NS)
    state = harness.node.session.state
    for name, value, reason in (("reacquire_threshold", 1.5, "(0, 1]"), ("search_crops_per_frame", 0, "1..64"),
                                ("reacquire_frames", 500, "1..100"), ("check_interval", 2000, "0..1000")):
        result = harness.set_parameters(**{name: value})[0]
        assert not result.successful and name in result.reason and reason in result.reason
    assert harness.status_with("parameter change refused")
    assert harness.node.session.state == state
    assert harness.node.session.redetection.reacquire_threshold == RedetectionSettings.reacquire_threshold
    harness.publish_and_wait_detection(scene(2)[0], fresh + 2 * FRAME_NS)
