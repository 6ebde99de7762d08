"""The confidence's colour consistency: the colours of a 3 x 3 grid over the box's central half
against the initial box's, brightness left out, the best cell counting; a recoloured copy of
the target scores under the target itself, while the network's peak alone cannot tell them
apart; colour_weight 0 gives the peak. The box verifier is left out here (test_verifier.py)."""
import numpy as np
import pytest

from siamcar_ros.tracking import TrackerParams, load_tracker
from siamcar_ros.tracking.confidence import box_colours, colour_consistency, colour_shift
from siamcar_ros.tracking.params import TrackerParamError


def test_box_colours_read_a_grid_over_the_central_half():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[20:80, 20:80] = (10, 20, 30)          # the box's border ring (not read) ...
    frame[35:65, 35:65] = (100, 150, 200)       # ... and its central half, 3 x 3 cells of 10 px
    frame[35:45, 55:65] = (0, 0, 255)           # the top right cell
    colours = box_colours(frame, (20, 20, 60, 60))
    assert colours.shape == (9, 3)
    np.testing.assert_allclose(colours[2], [0, 0, 255])
    np.testing.assert_allclose(np.delete(colours, 2, axis=0), [[100, 150, 200]] * 8)
    # cells outside the frame are unknown; a box wholly outside has none
    partly = box_colours(frame, (-30, 20, 60, 60))
    assert np.isnan(partly[0]).all() and not np.isnan(partly[2]).any()
    assert box_colours(frame, (200, 200, 30, 30)) is None


def test_clipped_and_nearly_black_pixels_do_not_count():
    frame = np.full((100, 100, 3), (100, 150, 200), np.uint8)
    frame[35:40, 35:65] = (100, 255, 255)      # a highlight over a sixth of the central half
    frame[40:42, 35:65] = (2, 150, 200)        # and a nearly black blue channel
    np.testing.assert_allclose(box_colours(frame, (20, 20, 60, 60)), [[100, 150, 200]] * 9)
    frame[35:65, 35:65] = (100, 255, 255)      # all clipped: the cells' plain means
    np.testing.assert_allclose(box_colours(frame, (20, 20, 60, 60)), [[100, 255, 255]] * 9)


def test_colour_shift_ignores_brightness_and_takes_the_best_cell():
    reference = np.tile([100.0, 150.0, 200.0], (9, 1))
    assert colour_shift(reference, reference) == 0.0
    assert colour_shift(reference * 0.6, reference) < 0.01            # darker, same balance
    recoloured = reference * np.array([1.15, 1.0, 0.85])             # a look-alike's gains
    shift = colour_shift(recoloured, reference)
    assert 0.2 < shift < 0.3
    occluded = recoloured.copy()
    occluded[4] = reference[4]                                       # one cell of its own colours
    assert colour_shift(occluded, reference) == 0.0
    unknown = np.full_like(reference, np.nan)
    assert colour_shift(None, reference) == 1.0 and colour_shift(unknown, reference) == 1.0
    assert colour_consistency(shift, 5.0) == pytest.approx(np.exp(-5 * shift))
    assert colour_consistency(shift, 0.0) == 1.0


def _scene():
    """A textured target and, far from it, the same texture with other channel gains."""
    rng = np.random.default_rng(3)
    frame = np.full((360, 480, 3), 110, np.uint8)
    frame += rng.integers(0, 25, frame.shape, dtype=np.uint8)
    patch = rng.integers(30, 170, (12, 12, 3)).astype(np.float32)
    patch = np.kron(patch, np.ones((5, 5, 1)))                      # 60 x 60 blocks
    patch[:, :, 0] = patch[:, :, 0] * 0.6 + 90                      # a blue-ish target
    frame[100:160, 80:140] = patch.astype(np.uint8)
    copy = patch * np.array([0.7, 1.0, 1.35])                       # a red-ish copy, nothing clipped
    frame[200:260, 330:390] = copy.astype(np.uint8)
    return frame, (80.0, 100.0, 60.0, 60.0), (360.0, 230.0)


def test_a_recoloured_copy_scores_under_the_target():
    frame, box, copy_centre = _scene()
    target_centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
    scores = {}
    for weight in (0.0, 5.0):
        tracker = load_tracker("default", device="cpu", params={"colour_weight": weight}, verifier=None)
        tracker.init(frame, box)
        on_target, on_copy = tracker.detect(frame, [target_centre, copy_centre])
        scores[weight] = (on_target.score, on_copy.score)
        # both crops found the object in them
        assert np.hypot(*np.subtract(on_copy.center, copy_centre)) < 15
    peak_target, peak_copy = scores[0.0]
    assert abs(peak_target - peak_copy) < 0.15                       # the network: alike
    target, copy = scores[5.0]
    assert target > 0.75 * peak_target and copy < 0.3 * peak_copy    # the colour tells


def test_colour_weight_zero_gives_the_peak_and_bad_weights_are_refused():
    frame, box, _ = _scene()
    tracker = load_tracker("fast", device="cpu", params={"colour_weight": 0.0}, verifier=None)
    tracker.init(frame, box)
    result = tracker.track(frame)
    assert result.confidence == pytest.approx(result.peak) and result.colour_shift < 0.05
    with pytest.raises(TrackerParamError) as error:
        TrackerParams(colour_weight=-1.0)
    assert error.value.name == "colour_weight" and "colour_weight: must be within 0..100" in str(error.value)
