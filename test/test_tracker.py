"""The tracker state machine on a real (small, seeded) SiamCAR network."""
import logging
import math

import numpy as np
import pytest
import torch

from siamcar_ros.model import build_model
from siamcar_ros.tracking import (
    SiamCARTracker,
    TrackerInputError,
    TrackerParams,
    TrackerStateError,
    TrackResult,
)
from siamcar_ros.tracking.decode import Decoded
from siamcar_ros.tracking.tracker import MIN_TARGET_SIZE, next_target_state

HEIGHT, WIDTH = 96, 128
BOX = (40.0, 30.0, 24.0, 18.0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # test/conftest.py


def small_model(seed=0):
    torch.manual_seed(seed)
    return build_model("mobilenetv2", width_mult=0.25, neck_channels=32, head_channels=32,
                       head_num_convs=1)


@pytest.fixture(scope="module")
def model():
    return small_model()


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(1)
    sequence = []
    for step in range(4):
        frame = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        frame[30 + step: 48 + step, 40 + 2 * step: 64 + 2 * step] = (20, 220, 60)
        sequence.append(frame)
    return sequence


def eager_tracker(model, params=None, **options):
    """A tracker whose search branch runs in eager PyTorch. The state machine is the same
    whichever way the branch runs (test_accelerate.py checks each accelerator's boxes against
    eager's); eager spares each tracker the ONNX export of the default accelerator, which was
    most of this file's time."""
    return SiamCARTracker(model, params, device="cpu", accelerator="none", **options)


@pytest.fixture
def tracker(model):
    return eager_tracker(model)


def run(tracker, frames, box=BOX):
    tracker.init(frames[0], box)
    return [tracker.track(frame) for frame in frames[1:]]


def test_track_returns_a_box_and_scores_in_range(model, frames):
    default = SiamCARTracker(model, device="cpu")       # the default accelerator (auto)
    for result in run(default, frames):
        assert isinstance(result, TrackResult) and result.maps is None
        assert len(result.bbox) == 4 and all(math.isfinite(v) for v in result.bbox)
        assert result.bbox[2] >= MIN_TARGET_SIZE and result.bbox[3] >= MIN_TARGET_SIZE
        assert 0.0 <= result.confidence <= 1.0 and 0.0 <= result.centerness <= 1.0


def test_maps_on_request_have_the_score_map_shape(tracker, frames, model):
    tracker.init(frames[0], BOX)
    result = tracker.track(frames[1], return_maps=True)
    size = model.score_size
    assert result.maps["cls"].shape == (size, size) and result.maps["cen"].shape == (size, size)
    assert result.maps["loc"].shape == (4, size, size) and (result.maps["loc"] > 0).all()
    assert 0 <= result.maps["coarse_cell"][0] < size
    assert set(tracker.last_timings) == {"crop", "network", "decode"}


@pytest.mark.parametrize("strategy", ["coarse_to_fine", "reference"])
def test_both_strategies_track(model, frames, strategy):
    tracker = eager_tracker(model, TrackerParams(strategy=strategy))
    assert all(math.isfinite(v) for r in run(tracker, frames) for v in r.bbox)


def test_template_branch_runs_once_per_init(model, frames):
    calls = []
    handle = model.backbone.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[-1]))
    try:
        run(eager_tracker(model), frames)
    finally:
        handle.remove()
    assert calls == [127] + [255] * (len(frames) - 1)


def test_track_before_init_and_after_reset_is_refused(tracker, frames):
    with pytest.raises(TrackerStateError, match="before init"):
        tracker.track(frames[0])
    tracker.init(frames[0], BOX)
    assert tracker.is_initialized
    tracker.reset()
    assert not tracker.is_initialized and tracker.state is None
    with pytest.raises(TrackerStateError):
        tracker.track(frames[1])


BAD_BOXES = [
    ((40, 30, 0, 18), "both must be > 0"),
    ((40, 30, 24, -5), "both must be > 0"),
    ((float("nan"), 30, 24, 18), "non-finite"),
    ((40, 30, float("inf"), 18), "non-finite"),
    ((500, 30, 24, 18), "wholly outside"),
    ((-50, -40, 24, 18), "wholly outside"),
    ((40, 30, 24), "four numbers"),
    (("a", 30, 24, 18), "four numbers"),
    (None, "four numbers"),
]


@pytest.mark.parametrize("box, message", BAD_BOXES)
def test_bad_init_boxes_are_refused_and_keep_the_previous_target(tracker, frames, box, message):
    tracker.init(frames[0], BOX)
    before = tracker.state
    with pytest.raises(TrackerInputError, match=message):
        tracker.init(frames[1], box)
    assert tracker.state == before


BAD_FRAMES = [
    (np.zeros((0, 0, 3), np.uint8), "empty"),
    (np.zeros((HEIGHT, 0, 3), np.uint8), "empty"),
    (np.zeros((HEIGHT, WIDTH, 3), np.float32), "dtype float32 is not supported; expected uint8"),
    (np.zeros((HEIGHT, WIDTH, 3), np.uint16), "dtype uint16"),
    (np.zeros((HEIGHT, WIDTH, 5), np.uint8), "shape"),
    (np.zeros((HEIGHT * WIDTH,), np.uint8), "shape"),
    ([[0, 0, 0]], "numpy array"),
    (None, "numpy array"),
    (np.zeros((HEIGHT + 2, WIDTH, 3), np.uint8), "differs from the 128x96 frame given to init"),
]


@pytest.mark.parametrize("frame, message", BAD_FRAMES)
def test_bad_frames_are_refused_and_leave_the_tracker_unchanged(model, frames, frame, message):
    tracker, twin = eager_tracker(model), eager_tracker(model)
    tracker.init(frames[0], BOX)
    twin.init(frames[0], BOX)
    tracker.track(frames[1])
    twin.track(frames[1])
    before = tracker.state
    with pytest.raises(TrackerInputError, match=message):
        tracker.track(frame)
    assert tracker.state == before
    assert tracker.track(frames[2]).bbox == twin.track(frames[2]).bbox


def test_bad_init_frame_is_refused(tracker):
    with pytest.raises(TrackerInputError, match="dtype float64"):
        tracker.init(np.zeros((HEIGHT, WIDTH, 3)), BOX)
    assert not tracker.is_initialized


def test_grayscale_frames_are_tracked_as_three_equal_channels(model, frames):
    gray = [frame[:, :, 1].copy() for frame in frames]
    as_bgr = [np.repeat(g[:, :, None], 3, axis=2) for g in gray]
    expected = [r.bbox for r in run(eager_tracker(model), as_bgr)]
    assert [r.bbox for r in run(eager_tracker(model), gray)] == expected
    single_channel = [g[:, :, None] for g in gray]
    assert [r.bbox for r in run(eager_tracker(model), single_channel)] == expected


def test_bgra_frames_drop_the_alpha_channel(model, frames):
    expected = [r.bbox for r in run(eager_tracker(model), frames)]
    alpha = [np.dstack([f, np.full(f.shape[:2], 7, np.uint8)]) for f in frames]
    assert [r.bbox for r in run(eager_tracker(model), alpha)] == expected


@pytest.mark.parametrize("box", [
    (-10.0, -8.0, 24.0, 18.0),        # partly outside the top-left corner
    (120.0, 90.0, 30.0, 30.0),        # partly outside the bottom-right corner
    (60.0, 40.0, 0.5, 0.5),           # sub-pixel target
    (-100.0, -100.0, 400.0, 300.0),   # larger than the frame
    (10.0, 45.0, 110.0, 3.0),         # very elongated
])
def test_awkward_boxes_track_and_stay_inside_the_frame(model, frames, box):
    tracker = eager_tracker(model)
    for result in run(tracker, frames, box):
        cx, cy = tracker.state.center
        width, height = tracker.state.size
        assert 0 <= cx <= WIDTH and 0 <= cy <= HEIGHT
        assert MIN_TARGET_SIZE <= width <= WIDTH and MIN_TARGET_SIZE <= height <= HEIGHT
        assert all(math.isfinite(v) for v in result.bbox)


def decoded(displacement=(0.0, 0.0), size=(50.0, 40.0), rate=0.5):
    return Decoded(displacement=displacement, size=size, size_rate=rate, point=(127.0, 127.0),
                   confidence=1.0, centerness=1.0, coarse_cell=(12, 12), score_map=np.zeros((1, 1)))


def test_state_moves_by_displacement_over_scale_and_blends_size_at_the_rate():
    center, size = next_target_state((50.0, 40.0), (20.0, 10.0), decoded((10.0, -4.0), (60.0, 30.0), 0.25),
                                     scale_z=2.0, frame_size=(200, 100))
    assert center == pytest.approx((55.0, 38.0))
    assert size == pytest.approx((0.25 * 30 + 0.75 * 20, 0.25 * 15 + 0.75 * 10))


def test_state_past_the_border_is_clipped_to_the_frame():
    center, size = next_target_state((190.0, 5.0), (20.0, 10.0), decoded((100.0, -100.0), (2000.0, 2000.0), 1.0),
                                     scale_z=1.0, frame_size=(200, 100))
    assert center == (200.0, 0.0)
    assert size == (200.0, 100.0)
    _, tiny = next_target_state((50.0, 50.0), (20.0, 10.0), decoded(size=(0.01, 0.01), rate=1.0),
                                scale_z=1.0, frame_size=(200, 100))
    assert tiny == (MIN_TARGET_SIZE, MIN_TARGET_SIZE)


def test_update_params_applies_from_the_next_frame_and_rejects_bad_values(model, frames):
    tracker = eager_tracker(model, "OTB100")
    tracker.init(frames[0], BOX)
    # (the strategy stays: reference crops its template the authors' way, at init)
    tracker.update_params({"preset": "GOT10K"})
    assert tracker.params == TrackerParams.from_preset("GOT10K")
    reference = eager_tracker(model, TrackerParams.from_preset("GOT10K"))
    reference.init(frames[0], BOX)
    assert tracker.track(frames[1]).bbox == reference.track(frames[1]).bbox
    with pytest.raises(ValueError, match="lr: must be within 0..1"):
        tracker.update_params({"lr": 3.0})
    assert tracker.params.lr == TrackerParams.from_preset("GOT10K").lr


def test_two_trackers_sharing_one_network_keep_their_own_templates(model, frames):
    alone = [r.bbox for r in run(eager_tracker(model), frames)]
    first, second = eager_tracker(model), eager_tracker(model)
    first.init(frames[0], BOX)
    second.init(frames[0], (5.0, 5.0, 30.0, 30.0))
    assert [first.track(f).bbox for f in frames[1:]] == alone


def test_half_on_cpu_is_ignored_with_a_warning(model, caplog):
    with caplog.at_level(logging.WARNING):
        tracker = eager_tracker(model, half=True)
    assert tracker.half is False and "fp16" in caplog.text
    assert next(model.parameters()).dtype == torch.float32


def test_resnet50_tracker_uses_the_published_geometry(frames):
    torch.manual_seed(0)
    tracker = eager_tracker(build_model("resnet50"))
    assert (tracker.geometry.score_size, tracker.geometry.offset) == (25, 31.0)
    tracker.init(frames[0], BOX)
    result = tracker.track(frames[1], return_maps=True)
    assert result.maps["cls"].shape == (25, 25) and all(math.isfinite(v) for v in result.bbox)
