"""Distractor-aware tracking (tracking/distractors.py): rivals are kept frame to frame, the
decoder's choice of a known rival is replaced by the target's own peak or a coast on its path,
the confidence says when a rival is about as likely as the target, and no re-detection takes a
known rival. Then, with the bundled model, a look-alike crossing the target's path no longer
takes the box."""
import numpy as np
import pytest

from siamcar_ros.tracking.distractors import (DistractorSettings, Distractors, Peak, RivalFigures, cell_mask,
                                              response_peaks)
from siamcar_ros.tracking.settings import SettingError

SIZE = (40.0, 40.0)


def confirmed_rival_at(distractors: Distractors, rival_xy, target_xy=(100.0, 100.0), frames: int = 3) -> None:
    """Frames on which the target sits still at ``target_xy`` and a look-alike at ``rival_xy``."""
    for _ in range(frames):
        peaks = [Peak(0.8, (7, 7), target_xy), Peak(0.7, (7, 12), rival_xy)]
        distractors.choose(peaks, target_xy, target_xy, SIZE, lambda cell: pytest.fail("no re-decoding expected"))


def test_response_peaks_are_local_maxima_in_image_pixels():
    cls = np.zeros((15, 15))
    cls[4, 4], cls[10, 11], cls[10, 12] = 0.9, 0.6, 0.5
    cen = np.full((15, 15), 10.0)     # sigmoid ~ 1
    loc = np.full((4, 15, 15), 8.0)
    peaks = response_peaks(cls, cen, loc, offset=15.0, stride=16, to_image=lambda x, y: (x / 2, y / 2), floor=0.3)
    assert [p.cell for p in peaks] == [(4, 4), (10, 11)]          # (10, 12) is not a local maximum
    assert peaks[0].center == pytest.approx(((15 + 16 * 4) / 2, (15 + 16 * 4) / 2))
    assert peaks[0].score == pytest.approx(0.9, abs=1e-3)


def test_a_second_peak_seen_on_two_frames_becomes_a_confirmed_rival():
    distractors = Distractors()
    confirmed_rival_at(distractors, (160.0, 100.0), frames=1)
    assert distractors.rivals and not distractors.confirmed_rivals
    confirmed_rival_at(distractors, (160.0, 100.0), frames=1)
    assert len(distractors.confirmed_rivals) == 1
    _, figures = distractors.choose([Peak(0.8, (7, 7), (100.0, 100.0)), Peak(0.72, (7, 12), (160.0, 100.0))],
                                    (100.0, 100.0), (100.0, 100.0), SIZE, lambda cell: None)
    assert figures.rivals == 1 and figures.rival_ratio == pytest.approx(0.9)
    assert figures.ambiguous                                  # 0.9 >= ambiguity_ratio 0.8
    assert figures.target_share == pytest.approx(1 / 1.9)


def test_a_weak_second_peak_is_no_rival():
    distractors = Distractors()
    for _ in range(4):
        distractors.choose([Peak(0.8, (7, 7), (100.0, 100.0)), Peak(0.3, (7, 12), (160.0, 100.0))],
                           (100.0, 100.0), (100.0, 100.0), SIZE, lambda cell: None)
    assert not distractors.rivals


def test_the_decoder_taking_a_known_rival_is_sent_back_to_the_targets_own_peak():
    distractors = Distractors()
    confirmed_rival_at(distractors, (160.0, 100.0))
    asked = []

    def redecode(cell):
        asked.append(cell)
        return 101.0, 100.0

    peaks = [Peak(0.9, (7, 12), (160.0, 100.0)), Peak(0.7, (7, 7), (101.0, 100.0))]
    centre, figures = distractors.choose(peaks, (160.0, 100.0), (100.0, 100.0), SIZE, redecode)
    assert asked == [(7, 7)] and centre == (101.0, 100.0)
    assert figures.kept_from_rival and not figures.coasted


def test_with_only_the_rival_in_view_the_target_coasts_then_lets_go_after_coast_frames():
    distractors = Distractors(DistractorSettings(coast_frames=3))
    for _ in range(3):     # the target walks right at 2 px a frame, a look-alike stands at 160
        for x in (100.0, 102.0, 104.0):
            distractors.choose([Peak(0.8, (7, 7), (x + 2, 100.0)), Peak(0.7, (7, 12), (160.0, 100.0))],
                               (x + 2, 100.0), (x, 100.0), SIZE, lambda cell: None)
    centres = []
    center = (106.0, 100.0)
    for _ in range(4):     # the target is hidden: only the rival's peak, and the decoder takes it
        centre, figures = distractors.choose([Peak(0.9, (7, 12), (160.0, 100.0))], (160.0, 100.0), center, SIZE,
                                             lambda cell: pytest.fail("no own peak to decode"))
        centres.append(centre)
        center = centre if centre is not None else (160.0, 100.0)
    assert all(c is not None for c in centres[:3])
    assert [round(c[0]) for c in centres[:3]] == [108, 110, 112]   # on its path at its own speed
    assert centres[3] is None                       # coast_frames reached: the decoder's choice stands
    assert not distractors.confirmed_rivals         # and the rival it had taken is forgotten


def test_a_rival_merged_into_the_target_stays_engaged_and_the_target_keeps_its_path():
    """A look-alike walks into the target from the right and the two make one blob: it is not
    seen apart, its prediction (a velocity from jittery peaks) drifts off, yet it stays engaged,
    the target coasts on its own motion through the blob, the step off the held path is not
    taken for motion, and the rival is picked up again when the two part."""
    distractors = Distractors()
    target, rival = np.array([100.0, 100.0]), np.array([180.0, 100.0])
    for _ in range(6):      # the target walks right at 2 px a frame, the look-alike left at 3
        new_target, new_rival = target + (2.0, 0.0), rival + (-3.0, 0.0)
        _, figures = distractors.choose([Peak(0.8, (7, 7), tuple(new_target)), Peak(0.7, (7, 12), tuple(new_rival))],
                                        tuple(new_target), tuple(target), SIZE, lambda cell: None)
        target, rival = new_target, new_rival
    assert len(distractors.confirmed_rivals) == 1 and not figures.engaged
    blob = tuple((target + rival) / 2)
    held = []
    for frame in range(20):  # one peak between the two: the decoder takes the blob's middle
        centre, figures = distractors.choose([Peak(0.9, (7, 9), blob)], blob, tuple(target), SIZE,
                                             lambda cell: blob)
        if frame >= 2:
            assert figures.engaged and centre is not None
            held.append(centre[0])
        target = np.asarray(centre if centre is not None else blob)
    assert distractors.confirmed_rivals[0].merged       # unseen inside the blob: kept
    # on its own path at its own speed, or on its own peak when that lies within 5 px of it
    path = held[0] + distractors.velocity[0] * np.arange(len(held))
    assert abs(distractors.velocity[0] - 2.0) < 0.05 and np.abs(np.asarray(held) - path).max() <= 0.5 * 0.25 * 40 + 0.5
    # they part: the look-alike's peak comes back left of the target, off its prediction, and
    # the decoder's choice on the target's side stands; the correction is no motion
    apart = target + (2.0, 0.0)
    rival_now = distractors.confirmed_rivals[0].predicted - (10.0, 0.0)
    assert np.hypot(*(rival_now - apart)) > 40
    centre, figures = distractors.choose([Peak(0.8, (7, 7), tuple(apart)), Peak(0.75, (7, 3), tuple(rival_now))],
                                         tuple(apart), tuple(target), SIZE, lambda cell: tuple(apart))
    assert distractors.confirmed_rivals and not distractors.confirmed_rivals[0].merged
    assert np.hypot(*(distractors.confirmed_rivals[0].center - rival_now)) < 1.0
    assert abs(distractors.velocity[0] - 2.0) < 0.5


def test_a_jerky_target_is_not_held_on_its_motion_model_through_a_merge():
    """With a shaken camera (the target's steps far from its velocity) the motion model says
    little: a look-alike merging with it neither holds its path nor its size."""
    distractors = Distractors()
    target, rival = np.array([100.0, 100.0]), np.array([160.0, 100.0])
    for frame in range(8):
        new_target = target + ((12.0 if frame % 2 else -10.0), 0.0)
        distractors.choose([Peak(0.8, (7, 7), tuple(new_target)), Peak(0.7, (7, 12), tuple(rival))],
                           tuple(new_target), tuple(target), SIZE, lambda cell: None)
        target = new_target
    assert distractors.unsteady > 0.06 and distractors.confirmed_rivals
    rival_track = distractors.confirmed_rivals[0]
    rival_track.center, rival_track.velocity = target.copy(), np.zeros(2)
    rival_track.merged, rival_track.missed = True, 1
    centre, figures = distractors.choose([Peak(0.9, (7, 9), tuple(target))], tuple(target + (3.0, 0.0)),
                                         tuple(target), SIZE, lambda cell: tuple(target))
    assert not figures.engaged


def test_a_rival_unseen_away_from_the_target_has_gone_after_a_few_frames():
    distractors = Distractors()
    confirmed_rival_at(distractors, (180.0, 100.0))
    for _ in range(4):
        distractors.choose([Peak(0.8, (7, 7), (100.0, 100.0))], (100.0, 100.0), (100.0, 100.0), SIZE,
                           lambda cell: None)
    assert not distractors.rivals


def test_a_rivals_look_the_verifier_cannot_tell_from_the_targets_is_not_kept():
    distractors = Distractors()
    confirmed_rival_at(distractors, (160.0, 100.0))
    frame = np.zeros((200, 240, 3), np.uint8)
    patch = lambda frame, box: np.ones((3, 8, 8), np.float32)      # noqa: E731
    distractors.remember_looks(frame, SIZE, patch, like_target=lambda look: 0.9)    # a copy
    assert not distractors.looks and distractors.confirmed_rivals[0].looked
    other = Distractors()
    confirmed_rival_at(other, (160.0, 100.0))
    other.remember_looks(frame, SIZE, patch, like_target=lambda look: 0.2)         # another object
    assert len(other.looks) == 1


def test_the_cameras_motion_moves_the_rivals_and_the_held_path_with_the_picture():
    import cv2

    rng = np.random.default_rng(3)
    picture = cv2.GaussianBlur(rng.integers(0, 256, (300, 420, 3), dtype=np.uint8), (7, 7), 0)
    # the view moves 9 px left and 6 px down: the picture in it 9 px right and 6 px up
    first, moved = picture[20:260, 20:340], picture[26:266, 11:331]
    distractors = Distractors()
    distractors.see(first)
    confirmed_rival_at(distractors, (160.0, 100.0))
    distractors.path = np.array([100.0, 100.0])
    distractors.see(moved)
    assert distractors.camera == pytest.approx((9.0, -6.0), abs=1.0)
    assert distractors.confirmed_rivals[0].center == pytest.approx((169.0, 94.0), abs=1.0)
    assert distractors.path == pytest.approx((109.0, 94.0), abs=1.0)
    still = Distractors(DistractorSettings(camera_motion=False))
    still.see(first)
    still.see(moved)
    assert not still.camera.any()


def test_disabled_it_changes_nothing():
    distractors = Distractors(DistractorSettings(enabled=False))
    centre, figures = distractors.choose([Peak(0.9, (7, 12), (160.0, 100.0))], (160.0, 100.0), (100.0, 100.0), SIZE,
                                         lambda cell: pytest.fail("disabled"))
    assert centre is None and figures == RivalFigures()
    assert distractors.refuses((160.0, 100.0), SIZE, None) == ""


def test_a_candidate_where_a_rival_is_or_that_looks_like_one_is_refused():
    distractors = Distractors()
    confirmed_rival_at(distractors, (160.0, 100.0))
    assert "where a known look-alike is" in distractors.refuses((162.0, 101.0), SIZE, None)
    assert distractors.refuses((300.0, 300.0), SIZE, None) == ""
    distractors.looks.append(np.zeros((3, 8, 8), np.float32))
    assert "looks more like a known look-alike" in distractors.refuses((300.0, 300.0), SIZE, lambda looks: (0.4, [0.7]))
    assert distractors.refuses((300.0, 300.0), SIZE, lambda looks: (0.8, [0.7])) == ""
    assert distractors.refuses((300.0, 300.0), SIZE, lambda looks: (0.8, [0.85])) == ""   # within the margin


def test_settings_are_checked():
    with pytest.raises(SettingError, match="rival_ratio"):
        DistractorSettings(rival_ratio=0.0)
    with pytest.raises(SettingError, match="coast_frames"):
        DistractorSettings(coast_frames=-1)


def test_cell_mask_keeps_the_cells_around_one_cell():
    mask = cell_mask((5, 5), (0, 4))
    assert mask.sum() == 4 and mask[0, 4] == mask[1, 3] == 1 and mask[2, 4] == 0


# ---------------------------------------------------------------- with the bundled model
def iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def crossing():
    """A re-lit copy of the target crossing behind it (the look-alike validation set's sequence
    3, seed 2027): the plain tracker ends on the copy."""
    from siamcar_ros.data.procedural.lookalikes import generate_lookalike_sequence

    sequence = generate_lookalike_sequence(1_002_027_003, "crossing", "relit_copy")
    return sequence, [sequence.frames[i] for i in range(len(sequence))]


def run(tracker, sequence, frames):
    from siamcar_ros.data.procedural.geometry import box_of

    tracker.init(frames[0], tuple(sequence.ground_truth[0]))
    plan = sequence.frames.plan
    results, rivals = [], []
    for index in range(1, len(frames)):
        result = tracker.track(frames[index])
        other = box_of(plan.distractors[0][1][index], plan.size)
        results.append((iou(result.bbox, sequence.ground_truth[index]), iou(result.bbox, other)))
        rivals.append(result.rivals)
    return np.array(results), rivals


@pytest.mark.usefixtures("one_torch_thread")
def test_a_look_alike_crossing_behind_no_longer_takes_the_box(crossing):
    from siamcar_ros.tracking import load_tracker

    sequence, frames = crossing
    tracker = load_tracker(device="cpu")
    tracker.distractors.configure(DistractorSettings(enabled=False))
    plain, _ = run(tracker, sequence, frames)
    assert plain[-30:, 1].mean() > 0.5, "without distractor awareness the box should end on the copy"
    tracker.distractors.configure(DistractorSettings())
    aware, rivals = run(tracker, sequence, frames)
    assert aware[-30:, 0].mean() > 0.6 and aware[-30:, 1].mean() < 0.1
    assert any(f.rivals for f in rivals) and any(f.ambiguous for f in rivals)
    assert any(f.coasted or f.kept_from_rival for f in rivals)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_session_never_reacquires_a_known_look_alike(crossing):
    from siamcar_ros.tracking import load_tracker
    from siamcar_ros.tracking.redetection import rival_refusal, unless_rival
    from siamcar_ros.tracking.tracker import Candidate

    sequence, frames = crossing
    tracker = load_tracker(device="cpu")
    tracker.init(frames[0], tuple(sequence.ground_truth[0]))
    for index in range(1, 70):          # up to just before the two meet: the copy is a known rival
        tracker.track(frames[index])
    rival = tracker.distractors.confirmed_rivals[0]
    plan = sequence.frames.plan
    other = plan.distractors[0][1][69]
    at_rival = Candidate(0.9, (other.cx, other.cy), tracker.state.size)
    assert "look-alike" in rival_refusal(tracker, frames[69], at_rival)
    assert unless_rival(tracker, frames[69], at_rival, 0.55).score == 0.0
    target = Candidate(0.9, tracker.state.center, tracker.state.size)
    assert rival_refusal(tracker, frames[69], target) == ""
    assert np.hypot(*(rival.center - (other.cx, other.cy))) < 15


@pytest.mark.usefixtures("one_torch_thread")
def test_through_a_shaking_camera_the_look_alikes_still_do_not_take_the_box():
    """Five look-alike encounters of the validation set (seed 2027: sequences 2, 3, 5, 6 and 22:
    copies walking beside, crossing behind and passing in front) seen through a hand-held camera
    (the view jumps by tens of pixels a frame): with the camera's motion taken out the target is
    kept; left in, the motion model's predictions are off by the shake and the box ends
    elsewhere. One of the five may go either way (the pair is one blob for some frames)."""
    from siamcar_ros.data.procedural.benchmark import benchmark_sequence_seeds
    from siamcar_ros.data.procedural.lookalikes import generate_lookalike_sequence, lookalike_kinds
    from siamcar_ros.tracking import load_tracker

    tracker = load_tracker(device="cpu")
    held = {True: 0, False: 0}
    for index in (2, 3, 5, 6, 22):
        sequence = generate_lookalike_sequence(benchmark_sequence_seeds(2027, 36)[index], *lookalike_kinds(index),
                                               camera_shake=True)
        frames = [sequence.frames[i] for i in range(len(sequence))]
        for compensated in (False, True):
            tracker.distractors.configure(DistractorSettings(camera_motion=compensated))
            tracker.init(frames[0], tuple(sequence.ground_truth[0]))
            results = [tracker.track(frame) for frame in frames[1:]]
            overlaps = [iou(r.bbox, box) for r, box in zip(results[-30:], sequence.ground_truth[-30:])]
            held[compensated] += int(np.mean(overlaps) > 0.5)
            if compensated:
                assert any(r.rivals.rivals for r in results)
    assert held[True] >= 4 and held[False] <= 1, held
