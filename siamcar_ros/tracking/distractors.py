"""Distractor-aware tracking: keep the target, not the look-alike beside it.

A Siamese tracker scores every cell of its search crop against one template, so an object like
the target (another person, a copy, a re-lit twin) makes a second peak in the response map; when
it comes near, the decoder may take its peak and follow it from then on. This module keeps the
rival candidates frame to frame and decides, before a frame is committed, whether the decoder's
choice is the target or a known rival. It draws on three published ideas:

- distractor-aware matching (DaSiamRPN): the other strong peaks of the response map are
  distractors; remember them, and judge a candidate against them as well as against the target;
- target-candidate association (KeepTrack): the peaks of consecutive frames are associated with
  tracked objects (here greedily, by distance to each one's predicted position within a gate),
  so the target keeps its identity through a crossing;
- a constant-velocity motion model: the target's and each rival's next position are predicted
  from their velocities; when the decoder's choice is nearer a rival's prediction than the
  target's, the peak on the target's own path is taken instead, and when there is none (the
  look-alike passes in front) the target coasts on its prediction for at most ``coast_frames``.
  The camera's own motion (``camera_motion.py``: the whole picture's shift since the last
  frame) is taken out of every velocity and added to every prediction, so the model holds on a
  hand-held or drone camera (the camera-motion compensation of multi-object trackers such as
  BoT-SORT's); without it a shaking view sends each prediction off by the shake.

Per frame it reports ``RivalFigures``: the strongest rival's score as a share of the target's
(``rival_ratio``), whether that makes the frame ambiguous, and the target's share of the
evidence, ``target_share = t / (t + r)`` normalised to 1 without a rival (0.5 for a rival as
strong as the target), by which the tracker's confidence is multiplied. The session asks
``refuses`` before a re-detection or a switch takes a candidate: one near a rival's predicted
position, or that the box verifier finds clearly more like a remembered rival than like the
target, is refused. With no rival in sight nothing changes: the decoder's choice stands as it is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from .camera_motion import CameraMotion
from .confidence import score_map
from .settings import Setting, check_fields

__all__ = ["DISTRACTOR_SETTINGS", "DistractorSettings", "Distractors", "Peak", "RivalFigures", "RivalTrack",
           "response_peaks"]

DISTRACTOR_SETTINGS: tuple[Setting, ...] = (
    Setting("distractor_aware", True, "keep look-alike candidates (rivals) frame to frame: the target's choice "
            "is gated by its constant-velocity motion, and no re-detection or switch takes a known rival",
            field="enabled"),
    Setting("rival_ratio", 0.5, "a second peak of the response map scoring at least this share of the "
            "target's peak is a rival", low=0.05, high=1.0),
    Setting("ambiguity_ratio", 0.8, "a rival scoring at least this share of the target's peak makes the "
            "frame ambiguous (~/status ambiguous, rival_ratio)", low=0.05, high=2.0),
    Setting("coast_frames", 30, "frames in a row the target is held to its predicted path while a rival is "
            "near it (crossing, passing in front); then the decoder's choice is taken again", low=0, high=300,
            unit="frames"),
    Setting("camera_motion", True, "measure the camera's own motion between frames (the whole picture's "
            "shift) and take it out of the target's and rivals' motion, so that the look-alike judgement "
            "holds on a hand-held or drone camera (about 0.35 ms a frame)"),
)

_DEFAULTS = {setting.attribute: setting.default for setting in DISTRACTOR_SETTINGS}

# peaks closer to the target than this share of its larger side belong to the target itself
SAME_OBJECT = 0.6
# a rival is associated with a peak within this share of the target's larger side of its prediction
GATE = 0.8
# a confirmed rival predicted within this share of the target's larger side of the target's
# prediction is engaged with it (the two are about to overlap, or do)
ENGAGED = 0.9
# while engaged, a box more than this share of the target's larger side from its predicted
# position towards the rival is the response pulled towards the rival: the target is held
HELD = 0.25
RIVAL_PATIENCE = 30       # frames a rival unseen while overlapping the target is predicted on (merged)
UNSEEN_APART = 3          # frames a rival unseen away from the target is kept (it has gone)
CONFIRMED_HITS = 2        # frames a rival must be seen before it counts
MAX_RIVALS = 6
PATCHES_KEPT = 4          # rivals' looks remembered for the verifier (the first ones confirmed)
# a candidate is refused by its look only when the verifier finds it this much more like a
# remembered rival than like the target (an exact or re-lit copy looks as much like either)
LOOK_MARGIN = 0.1
LOOK_DISTINCT = 0.5       # a rival's look is kept only when the verifier tells it from the target's
VELOCITY_SMOOTHING = 0.5  # weight of the newest displacement in the velocity estimate
# a rival whose peak has reached this share of the target's is a look-alike (chosen on the
# look-alike validation set, seed 2027; lower let background peaks hold the target on the standing set)
LOOK_ALIKE_SHARE = 0.7
STEADINESS_SMOOTHING = 0.2  # weight of the newest frame in the motion model's recent surprise
# the motion model is trusted through a merge (the target coasting inside the look-alike's blob,
# its size held) only while its recent surprise stays under this share of the target's size a
# frame: a walking person, not a shaken camera or a darting target
STEADY = 0.06
MAX_SPEED = 0.3           # the velocity is kept under this share of the target's larger side per frame
# rivals are only taken (created) and a hold only begins while the tracker's confidence on the
# previous frame was at least this: with the target hidden or lost, a share of its peak says
# nothing and its motion is unknown
CLEAR_CONFIDENCE = 0.25


@dataclass(frozen=True)
class DistractorSettings:
    """Distractor-aware tracking (DISTRACTOR_SETTINGS)."""

    enabled: bool = _DEFAULTS["enabled"]
    rival_ratio: float = _DEFAULTS["rival_ratio"]
    ambiguity_ratio: float = _DEFAULTS["ambiguity_ratio"]
    coast_frames: int = _DEFAULTS["coast_frames"]
    camera_motion: bool = _DEFAULTS["camera_motion"]

    def __post_init__(self):
        check_fields(self, DISTRACTOR_SETTINGS)


@dataclass(frozen=True)
class Peak:
    """A local maximum of cls x centre-ness: its score, cell (row, col) and the centre (x, y) in
    image pixels of the box regressed there."""

    score: float
    cell: tuple[int, int]
    center: tuple[float, float]


@dataclass(eq=False)
class RivalTrack:
    """A look-alike followed frame to frame (image pixels, pixels per frame)."""

    center: np.ndarray
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    score: float = 0.0       # its last peak as a share of the target's
    best: float = 0.0        # its highest share so far
    hits: int = 1
    missed: int = 0
    merged: bool = False     # unseen since it went into the target's blob (the two overlapping)
    looked: bool = False     # its look is among ``Distractors.looks``

    @property
    def predicted(self) -> np.ndarray:
        return self.center + self.velocity

    @property
    def confirmed(self) -> bool:
        return self.hits >= CONFIRMED_HITS


@dataclass(frozen=True)
class RivalFigures:
    """What one frame says about look-alikes: confirmed rivals kept, the strongest one seen this
    frame as a share of the target's peak, whether that is ambiguous, the target's share of the
    evidence (1 without a rival), the target's own peak score, and whether the target coasted
    on its prediction or was taken back from a rival this frame."""

    rivals: int = 0
    rival_ratio: float = 0.0
    ambiguous: bool = False
    target_share: float = 1.0
    target_peak: float | None = None
    coasted: bool = False
    kept_from_rival: bool = False
    engaged: bool = False


def response_peaks(cls: np.ndarray, cen: np.ndarray, loc: np.ndarray, offset: float, stride: int,
                   to_image: Callable[[float, float], tuple[float, float]], floor: float) -> list[Peak]:
    """Local maxima (3 x 3) of cls x centre-ness scoring at least ``floor`` times the highest,
    strongest first; ``to_image`` maps search-crop pixels to image pixels."""
    scores = score_map(cls, cen).astype(np.float32)
    top = float(scores.max())
    maxima = (scores >= cv2.dilate(scores, np.ones((3, 3), np.uint8))) & (scores >= floor * top) & (scores > 0)
    peaks = []
    for row, col in zip(*np.nonzero(maxima)):
        left, top, right, bottom = (float(v) for v in loc[:, row, col])
        x = offset + stride * col + (right - left) / 2.0
        y = offset + stride * row + (bottom - top) / 2.0
        peaks.append(Peak(float(scores[row, col]), (int(row), int(col)), to_image(x, y)))
    return sorted(peaks, key=lambda p: -p.score)


def cell_mask(shape, cell: tuple[int, int], radius: int = 1) -> np.ndarray:
    """1 on the cells within ``radius`` of ``cell``, 0 elsewhere: the decoder's choice limited there."""
    mask = np.zeros(shape, np.float64)
    row, col = cell
    mask[max(0, row - radius):row + radius + 1, max(0, col - radius):col + radius + 1] = 1.0
    return mask


class Distractors:
    """The target's motion and the rivals around it, for one tracked target."""

    def __init__(self, settings: DistractorSettings | None = None):
        self.settings = settings or DistractorSettings()
        self._camera = CameraMotion()
        self.reset()

    def configure(self, settings: DistractorSettings) -> None:
        self.settings = settings

    def reset(self) -> None:
        """A new target: no motion known, no rivals."""
        self.velocity = np.zeros(2)
        self.rivals: list[RivalTrack] = []
        self.looks: list[np.ndarray] = []    # verifier patches of rivals, kept when their track is gone
        self.coasting = 0
        self.unsteady = 0.0                  # recent surprise of the motion model, share of the size a frame
        self.path: np.ndarray | None = None  # the target's predicted position while held
        self.confidence = 1.0                # the tracker's confidence on the last frame (it sets it)
        self.camera = np.zeros(2)            # the picture's shift since the last frame (``see``)
        self._camera.reset()

    def see(self, frame: np.ndarray) -> None:
        """A new frame (the first one with ``init``): measure the camera's motion since the last
        one and move what is predicted in the image with it (the rivals, the target's held path).
        Nothing when off, or with ``camera_motion`` off."""
        if not (self.settings.enabled and self.settings.camera_motion):
            self.camera = np.zeros(2)
            return
        self.camera = self._camera.shift(frame)
        if not self.camera.any():
            return
        for rival in self.rivals:
            rival.center = rival.center + self.camera
        if self.path is not None:
            self.path = self.path + self.camera

    def relocated(self) -> None:
        """The target jumped (re-acquisition): its motion starts again, the rivals stay."""
        self.velocity = np.zeros(2)
        self.coasting, self.path, self.unsteady = 0, None, 0.0

    @property
    def confirmed_rivals(self) -> list[RivalTrack]:
        return [rival for rival in self.rivals if rival.confirmed]

    # ------------------------------------------------------------------------------ one frame
    def choose(self, peaks: list[Peak], choice: tuple[float, float], center, size,
               redecode: Callable[[tuple[int, int]], tuple[float, float]]):
        """Judge the decoder's ``choice`` (the new centre, image pixels) against the rivals.

        ``peaks`` are this frame's response peaks, ``center`` and ``size`` the target before the
        frame, ``redecode(cell)`` decodes again with the choice limited to the cells around
        ``cell`` (row, col) and returns the new centre. A confirmed rival predicted close to the
        target's predicted position is engaged: meanwhile the target's velocity is held and its
        predicted path follows that velocity, not the boxes. When the decoder goes
        nearer a rival's prediction than the target's, or is pulled towards an engaged rival by
        more than ``HELD`` of the target's size, the choice is limited to the target's own peak
        on its predicted path; with no such peak (the two merged, or the rival in front) the
        target coasts on its prediction, size kept. All this for at most ``coast_frames`` frames
        in a row. Returns (the new centre, or None when the decoder's choice stands; figures)."""
        if not self.settings.enabled:
            return None, RivalFigures()
        side = max(float(size[0]), float(size[1]), 1.0)
        start = np.asarray(center, float) + self.camera     # where the camera has moved the target
        path = self.path if self.coasting and self.path is not None else start
        predicted = path + self.velocity
        chosen = np.asarray(choice, float)
        engaged = min(self.confirmed_rivals, key=lambda r: float(np.hypot(*(r.predicted - predicted))), default=None)
        if engaged is not None and np.hypot(*(engaged.predicted - predicted)) >= ENGAGED * side:
            engaged = None
        # one merged into the target's blob stays engaged until it is seen again, wherever its
        # prediction (a velocity from a few jittery peaks) has gone meanwhile
        trusted = self._trusted()
        if trusted:
            engaged = next((r for r in self.confirmed_rivals if r.merged), engaged)
        claimant = self._claimant(chosen, predicted, side)
        may_hold = (self.coasting > 0 or self.confidence >= CLEAR_CONFIDENCE) and \
            self.coasting < self.settings.coast_frames
        if not may_hold or (engaged is None and claimant is None):
            if claimant is not None:    # held too long: the rival's path was the target's; forget it
                self.rivals.remove(claimant)
            if not self.coasting:       # the step off a held path corrects the position: not motion
                step = chosen - start
                surprise = float(np.hypot(*(step - self.velocity))) / side
                self.unsteady = (1 - STEADINESS_SMOOTHING) * self.unsteady + STEADINESS_SMOOTHING * surprise
                self.velocity = _capped((1 - VELOCITY_SMOOTHING) * self.velocity + VELOCITY_SMOOTHING * step,
                                        MAX_SPEED * side)
            self.coasting, self.path = 0, None
            return None, _with(self._observe(peaks, chosen, side), False, False)
        self.coasting += 1
        rival = claimant or engaged
        merged = claimant is None and rival.merged and trusted    # not seen apart: one blob with the target
        persistent = self._look_alike(rival) and trusted
        if claimant is None and not merged and not _pulled(chosen, predicted, rival, side):
            self.path = predicted       # engaged, the decoder on the target's side: it stands, the
            return None, _with(self._observe(peaks, chosen, side), False, False, persistent)  # path keeps to the motion
        own = self._own_peak(peaks, predicted, side)
        redecoded = np.asarray(redecode(own.cell), float) if own is not None else predicted
        # its own peak pulled off its path too (merged with the rival: any way off it) -> coast
        off_path = float(np.hypot(*(redecoded - predicted))) > (0.5 if merged else 2) * HELD * side
        if own is not None and (_pulled(redecoded, predicted, rival, side) or off_path):
            own, redecoded = None, predicted
        chosen, self.path = redecoded, predicted
        return tuple(float(v) for v in chosen), _with(self._observe(peaks, chosen, side), True, own is None, persistent)

    def _trusted(self) -> bool:
        """Whether the merge rules apply: a steady motion model (STEADY) and the blob there to
        see (the last confidence at least CLEAR_CONFIDENCE: not a target hidden or gone)."""
        return self.unsteady < STEADY and self.confidence >= CLEAR_CONFIDENCE

    @staticmethod
    def _look_alike(rival: RivalTrack) -> bool:
        """A rival that has scored close to the target (LOOK_ALIKE_SHARE): another object like it
        walking into it (kept through the merge, engaged wherever its prediction goes meanwhile,
        the target's size held), not a passing peak of the background."""
        return rival.best >= LOOK_ALIKE_SHARE

    def _claimant(self, chosen: np.ndarray, predicted: np.ndarray, side: float) -> RivalTrack | None:
        """The confirmed rival whose prediction the choice is nearer than the target's, if any."""
        own_distance = float(np.hypot(*(chosen - predicted)))
        best, best_distance = None, math.inf
        for rival in self.confirmed_rivals:
            distance = float(np.hypot(*(chosen - rival.predicted)))
            if distance < GATE * side + np.hypot(*rival.velocity) and distance < own_distance \
                    and distance < best_distance:
                best, best_distance = rival, distance
        return best

    def _own_peak(self, peaks: list[Peak], predicted: np.ndarray, side: float) -> Peak | None:
        """The strongest peak on the target's predicted path: within the gate, and nearer the
        target's prediction than any confirmed rival's."""
        floor = self.settings.rival_ratio * peaks[0].score if peaks else 0.0
        for peak in peaks:
            position = np.asarray(peak.center)
            own = float(np.hypot(*(position - predicted)))
            nearest_rival = min((float(np.hypot(*(position - r.predicted))) for r in self.confirmed_rivals),
                                default=math.inf)
            # a peak between the target and a rival is the two merged: not the target's own
            if peak.score >= floor and own < SAME_OBJECT * side and own < 0.5 * nearest_rival:
                return peak
        return None

    def _observe(self, peaks: list[Peak], target: np.ndarray, side: float) -> RivalFigures:
        """Associate the peaks apart from the target with the rivals; the frame's figures."""
        target_peak = None
        apart = []
        for peak in peaks:
            distance = float(np.hypot(*(np.asarray(peak.center) - target)))
            if distance <= SAME_OBJECT * side:
                target_peak = peak.score if target_peak is None else max(target_peak, peak.score)
            else:
                apart.append(peak)
        reference = target_peak if target_peak is not None else (peaks[0].score if peaks else 0.0)
        clear = target_peak is not None and self.confidence >= CLEAR_CONFIDENCE
        rivals_seen = [p for p in apart if clear and p.score >= self.settings.rival_ratio * reference]
        self._associate(rivals_seen, reference, side, clear, target)
        confirmed = self.confirmed_rivals
        seen = [r.score for r in confirmed if r.missed == 0]
        ratio = max(seen, default=0.0)
        return RivalFigures(rivals=len(confirmed), rival_ratio=float(min(ratio, 10.0)),
                            ambiguous=ratio >= self.settings.ambiguity_ratio,
                            target_share=float(1.0 / (1.0 + ratio)),
                            target_peak=target_peak if confirmed else None)

    def _associate(self, observed: list[Peak], reference: float, side: float, create: bool,
                   target: np.ndarray) -> None:
        for rival in self.rivals:
            rival.missed += 1
        free = list(self.rivals)
        for peak in observed:
            position = np.asarray(peak.center, float)
            match = min(free, key=lambda r: float(np.hypot(*(position - r.predicted))), default=None)
            if match is not None and np.hypot(*(position - match.predicted)) < GATE * side + np.hypot(*match.velocity):
                free.remove(match)
                step = position - match.center
                match.velocity = _capped((1 - VELOCITY_SMOOTHING) * match.velocity + VELOCITY_SMOOTHING * step,
                                         MAX_SPEED * side)
                match.center, match.hits, match.missed = position, match.hits + 1, 0
                match.score = peak.score / reference
                match.best = max(match.best, match.score)
            elif create and len(self.rivals) < MAX_RIVALS:
                share = peak.score / reference
                self.rivals.append(RivalTrack(position, score=share, best=share, missed=0))
        for rival in free:
            rival.center = rival.predicted

        trusted = self._trusted()

        def kept(rival: RivalTrack) -> bool:
            distance = np.hypot(*(rival.center - target))
            # a look-alike unseen since it went into the target's blob stays merged (its predicted
            # path may leave the target before the two part) until it is seen again; one unseen
            # while it overlaps the target is predicted on; one unseen elsewhere has gone
            near = distance < ENGAGED * side and self._look_alike(rival)
            rival.merged = rival.missed > 0 and trusted and (rival.merged or near)
            overlapping = distance < SAME_OBJECT * side
            return rival.missed <= (RIVAL_PATIENCE if rival.merged or overlapping else UNSEEN_APART)

        self.rivals = [r for r in self.rivals if kept(r)]

    # --------------------------------------------------------------- candidates taken elsewhere
    def remember_looks(self, frame: np.ndarray, size, patch_of: Callable[[np.ndarray, tuple], np.ndarray],
                       like_target: Callable[[np.ndarray], float] | None = None) -> None:
        """Keep the look (a verifier patch) of confirmed rivals seen this frame, the first few;
        ``like_target(patch)``: the verifier's P(same) of a look against the target's, a look it
        cannot tell from the target's (LOOK_DISTINCT or more: a copy) is not kept, as it would
        refuse the target itself as readily as the rival."""
        for rival in self.confirmed_rivals:
            if len(self.looks) >= PATCHES_KEPT:
                return
            if not rival.looked and rival.missed == 0:
                x, y = rival.center
                look = patch_of(frame, (x - size[0] / 2, y - size[1] / 2, size[0], size[1]))
                if like_target is None or like_target(look) < LOOK_DISTINCT:
                    self.looks.append(look)
                rival.looked = True

    def refuses(self, center, size, likeness: Callable[[list[np.ndarray]], tuple[float, list[float]]] | None) -> str:
        """Why a candidate at ``center`` (image pixels) of ``size`` must not be taken for the
        target, or '' when it may: it sits where a rival is predicted, or the verifier finds it
        clearly (LOOK_MARGIN) more like a remembered rival than like the target. ``likeness(patches)`` returns the
        verifier's P(same) of the candidate against the target and against each patch."""
        if not self.settings.enabled:
            return ""
        side = max(float(size[0]), float(size[1]), 1.0)
        position = np.asarray(center, float)
        for rival in self.confirmed_rivals:
            if rival.missed <= RIVAL_PATIENCE and np.hypot(*(position - rival.predicted)) < SAME_OBJECT * side:
                return "it is where a known look-alike is"
        if self.looks and likeness is not None:
            target, rivals = likeness(self.looks)
            if max(rivals) > target + LOOK_MARGIN:
                return (f"it looks more like a known look-alike (verifier {max(rivals):.2f}) than like the "
                        f"target ({target:.2f})")
        return ""


def _pulled(position: np.ndarray, predicted: np.ndarray, rival: RivalTrack, side: float) -> bool:
    """Whether ``position`` lies more than HELD x side from the prediction towards the rival, or
    in any direction while the two overlap (the response of the pair is one blob then)."""
    towards = rival.predicted - predicted
    distance = float(np.hypot(*towards))
    if distance < SAME_OBJECT * side:
        return bool(np.hypot(*(position - predicted)) > HELD * side)
    return float(np.dot(position - predicted, towards / distance)) > HELD * side


def _capped(velocity: np.ndarray, limit: float) -> np.ndarray:
    speed = float(np.hypot(*velocity))
    return velocity if speed <= limit else velocity * (limit / speed)


def _with(figures: RivalFigures, gated: bool, on_prediction: bool, engaged: bool = False) -> RivalFigures:
    return RivalFigures(figures.rivals, figures.rival_ratio, figures.ambiguous, figures.target_share,
                        figures.target_peak, coasted=gated and on_prediction,
                        kept_from_rival=gated and not on_prediction, engaged=engaged)
