"""A tracking session: the tracker under a state machine a robot can act on (TRACKING, LOST,
SEARCHING), with loss detection, re-detection over the whole frame after a loss, checks for a
better match while tracking in doubt, catch-up over buffered frames, and the follow-me figures.
Plain Python: frames in, one ``SessionResult`` out. docs/confidence-and-redetection.md
describes the states and the search.

States (values match ``TrackerStatus.msg``):

- IDLE: no target (not started, stopped).
- TRACKING: the local tracker follows the target; the result carries its box.
- LOST: the confidence stayed under ``lost_threshold`` for ``lost_patience`` frames. Without
  re-detection the local tracker keeps running and the first confident frame returns to
  TRACKING; with it, the next frame starts SEARCHING.
- SEARCHING: search crops at the target's reference size sweep the frame, nearest the last
  position first, at most ``search_crops_per_frame`` a frame; a crop scoring
  ``reacquire_threshold`` (and the target's own level less ``redetection.LEVEL_MARGIN``) on
  ``reacquire_frames`` consecutive frames, or the local tracker doing so, resumes TRACKING.

While TRACKING with a recent confidence under ``reacquire_threshold``, one crop every
``check_interval`` frames looks elsewhere; a match ``switch_margin`` better than the tracked
box, confirmed on ``reacquire_frames`` checks, takes over. While LOST or SEARCHING the result's
box is the last tracked box and ``has_target`` is False.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from .confidence import DEFAULT_LOST_THRESHOLD
from .distractors import RivalFigures
from .redetection import FrameSearch, LossWatch, RivalCheck, TargetMemory, search_tiles, tile_step, unless_rival
from .settings import Setting, check_fields
from .tracker import Candidate, SiamCARTracker

__all__ = ["FollowFigures", "LOSS_SETTINGS", "LossSettings", "REDETECTION_SETTINGS", "RedetectionSettings",
           "SessionResult", "TrackState", "TrackingSession", "follow_figures", "search_tiles", "session_settings",
           "tile_step"]

class TrackState(enum.IntEnum):
    IDLE = 0
    TRACKING = 1
    LOST = 2
    SEARCHING = 3


LOSS_SETTINGS: tuple[Setting, ...] = (
    Setting("lost_threshold", DEFAULT_LOST_THRESHOLD, "confidence below which a frame counts as a miss "
            "(the default chosen on validation data for the default model)", low=0.0, high=1.0),
    Setting("lost_patience", 10, "consecutive misses before the state becomes LOST", low=1, unit="frames"),
)

REDETECTION_SETTINGS: tuple[Setting, ...] = (
    Setting("redetection", True, "after a loss, search the whole frame (SEARCHING) and re-acquire the "
            "target; false = keep tracking locally while LOST", field="enabled"),
    Setting("reacquire_threshold", 0.55, "score a re-detected candidate needs", low=0.0, high=1.0,
            low_open=True),
    Setting("reacquire_frames", 2, "consecutive confident frames before re-acquiring", low=1, high=100,
            unit="frames"),
    Setting("search_crops_per_frame", 2, "search crops per frame while SEARCHING, besides the local "
            "tracker's step (bounds the cost of a searching frame)", low=1, high=64,
            field="crops_per_frame"),
    Setting("check_interval", 1, "while TRACKING with a recent confidence under reacquire_threshold, one "
            "search crop elsewhere in the frame every this many frames, to move off a look-alike once "
            "the target is back in view", low=0, high=1000, note="0: no checks", unit="frames"),
    Setting("switch_margin", 0.1, "how much more than the tracked box's recent confidence a match "
            "elsewhere must score to take over", low=0.0, high=1.0),
)


def _defaults(settings: tuple[Setting, ...]) -> dict:
    return {setting.attribute: setting.default for setting in settings}


_LOSS, _REDETECTION = _defaults(LOSS_SETTINGS), _defaults(REDETECTION_SETTINGS)


@dataclass(frozen=True)
class LossSettings:
    """When the target counts as lost (LOSS_SETTINGS)."""

    lost_threshold: float = _LOSS["lost_threshold"]
    lost_patience: int = _LOSS["lost_patience"]

    def __post_init__(self):
        check_fields(self, LOSS_SETTINGS)


@dataclass(frozen=True)
class RedetectionSettings:
    """Re-detection after a loss and checks while in doubt (REDETECTION_SETTINGS)."""

    enabled: bool = _REDETECTION["enabled"]
    reacquire_threshold: float = _REDETECTION["reacquire_threshold"]
    reacquire_frames: int = _REDETECTION["reacquire_frames"]
    crops_per_frame: int = _REDETECTION["crops_per_frame"]
    check_interval: int = _REDETECTION["check_interval"]
    switch_margin: float = _REDETECTION["switch_margin"]

    def __post_init__(self):
        check_fields(self, REDETECTION_SETTINGS)


def session_settings(values) -> tuple[LossSettings, RedetectionSettings]:
    """Loss and re-detection settings from an object with one attribute per setting name
    (parsed command-line flags, the node's parameters); raises SettingError."""
    def component(cls, settings):
        return cls(**{setting.attribute: getattr(values, setting.name) for setting in settings})

    return component(LossSettings, LOSS_SETTINGS), component(RedetectionSettings, REDETECTION_SETTINGS)


@dataclass(frozen=True)
class FollowFigures:
    offset_x: float  # box centre vs image centre, -1 (left border) .. +1 (right border)
    offset_y: float  # -1 (top) .. +1 (bottom)
    area_fraction: float  # box area / image area, 0..1


def follow_figures(bbox_xywh, image_width: int, image_height: int) -> FollowFigures:
    """What a follow-me controller steers on, from a box (x, y, w, h) in image pixels."""
    x, y, w, h = (float(v) for v in bbox_xywh)
    half_w, half_h = image_width / 2.0, image_height / 2.0
    offset_x = (x + w / 2.0 - half_w) / half_w
    offset_y = (y + h / 2.0 - half_h) / half_h
    area = max(w, 0.0) * max(h, 0.0) / float(image_width * image_height)
    return FollowFigures(_clip(offset_x, -1.0, 1.0), _clip(offset_y, -1.0, 1.0), _clip(area, 0.0, 1.0))


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass(frozen=True)
class SessionResult:
    """The session's target after a frame (``step``) or now (``TrackingSession.report``).
    ``bbox`` is the tracked box (the last one while LOST or SEARCHING, when ``has_target`` is
    False; None while IDLE); ``confidence`` is the tracker's (TRACKING, LOST) or the best score
    among the search crops and the local tracker (SEARCHING); ``frame_size`` is the (width,
    height) the target was initialised on; ``change`` is the new state when it changed on this
    frame, with ``message`` saying why; ``crops`` counts the network passes run; ``rivals`` says
    what the last frame saw of look-alikes (``distractors.py``: a rival about as likely as the
    target makes it ``ambiguous``)."""

    state: TrackState
    bbox: tuple[float, float, float, float] | None
    confidence: float
    centerness: float
    frames_since_loss: int
    change: TrackState | None = None
    message: str = ""
    crops: int = 1
    frame_size: tuple[int, int] | None = None
    rivals: RivalFigures = RivalFigures()

    @property
    def has_target(self) -> bool:
        return self.state == TrackState.TRACKING


class TrackingSession:
    """The tracker under a state machine with loss detection and re-detection."""

    def __init__(self, tracker: SiamCARTracker, loss: LossSettings | None = None,
                 redetection: RedetectionSettings | None = None):
        self.tracker = tracker
        self.loss, self.redetection = loss or LossSettings(), redetection or RedetectionSettings()
        self.state = TrackState.IDLE
        self._clear()

    def _clear(self, bbox=None) -> None:
        self._bbox: tuple[float, float, float, float] | None = bbox
        self._confidence = self._centerness = 0.0 if bbox is None else 1.0
        self._frames_since_loss, self._rivals = 0, RivalFigures()
        self._widen_next, self._crop_s = False, 0.0
        self._memory, self._loss_watch = TargetMemory(bbox), LossWatch()
        self._search_state, self._checks = FrameSearch(), RivalCheck()

    # ------------------------------------------------------------------ settings and control
    def configure(self, loss: LossSettings | None = None,
                  redetection: RedetectionSettings | None = None) -> None:
        """New settings from the next frame on (the state is kept)."""
        self.loss = loss or self.loss
        self.redetection = redetection or self.redetection
        if not self.redetection.enabled and self.state == TrackState.SEARCHING:
            self.state = TrackState.LOST

    def start(self, frame: np.ndarray, bbox_xywh) -> None:
        """Initialise on ``bbox_xywh`` of ``frame`` (the tracker's checks apply; on an error
        the session keeps its previous state)."""
        self.tracker.init(frame, bbox_xywh)
        self._clear(tuple(float(v) for v in bbox_xywh))
        self.state = TrackState.TRACKING

    def stop(self) -> None:
        self.tracker.reset()
        self.state = TrackState.IDLE
        self._clear()

    @property
    def bbox(self):
        return self._bbox

    def report(self) -> SessionResult:
        """The target as the last frame left it, in the session's current state."""
        return self._result()

    def catch_up(self, frames: Iterable[np.ndarray], budget_s: float) -> int:
        """Track silently through ``frames`` (older to newer, another size skipped) for at most
        ``budget_s`` seconds; returns how many were tracked. When the budget runs out, the next
        ``step`` first looks for the target in a widened area around its last position."""
        started, done = time.monotonic(), 0
        for frame in frames:
            if time.monotonic() - started > budget_s:
                self._widen_next = True
                break
            if frame is None or (frame.shape[1], frame.shape[0]) != self.tracker.state.frame_size:
                continue
            self.step(frame)
            done += 1
        return done

    def warm_up(self, frame_size: tuple[int, int] = (640, 480)) -> None:
        """Run everything an init box will run (template, tracking, a widened and a whole-frame
        search) once on a synthetic frame, so that lazy set-up never slows real frames; the
        session is left IDLE."""
        width, height = frame_size
        frame = np.full((height, width, 3), 90, np.uint8)
        frame[height // 2 - 20:height // 2 + 20, width // 2 - 20:width // 2 + 20] = (30, 200, 220)
        box = (width / 2 - 20.0, height / 2 - 20.0, 40.0, 40.0)
        saved = (self.loss, self.redetection)
        try:
            self.start(frame, box)
            for _ in range(2):
                self.step(frame)
            self._widen_next = True
            self.step(frame)
            self.loss = LossSettings(1.0, 1)
            self.redetection = RedetectionSettings(True, 1.0, 1, saved[1].crops_per_frame)
            for _ in range(3):          # TRACKING -> LOST -> SEARCHING
                self.step(frame)
        finally:
            self.loss, self.redetection = saved
            self.stop()

    # ------------------------------------------------------------------------- one frame
    def step(self, frame: np.ndarray, deadline: float | None = None) -> SessionResult:
        """Process one frame. Raises TrackerStateError while IDLE and TrackerInputError for a
        bad frame (the session is then unchanged). A whole-frame check, and each search crop
        after a searching frame's first, runs only when it ends before ``deadline`` (a
        ``time.monotonic()`` time; None: whenever due)."""
        if self.state == TrackState.SEARCHING:
            return self._search(frame, deadline)
        if self.state == TrackState.LOST and self.redetection.enabled:
            return self._begin_search(frame, deadline)
        return self._track(frame, deadline)

    def _result(self, change: TrackState | None = None, message: str = "", crops: int = 1) -> SessionResult:
        state = self.tracker.state if self.tracker is not None else None
        return SessionResult(self.state, self._bbox, self._confidence, self._centerness, self._frames_since_loss,
                             change, message, crops, state.frame_size if state is not None else None, self._rivals)

    def _fits(self, deadline: float | None) -> bool:
        """One more crop, at the tracking step's recent duration, ends before ``deadline``."""
        return deadline is None or time.monotonic() + self._crop_s <= deadline

    def _widened_search(self, frame: np.ndarray) -> int:
        """Move the target to the best of a 3 x 3 block of search crops around its last
        position when that one scores ``lost_threshold``; returns the crops run."""
        self._widen_next = False
        state = self.tracker.state
        step = tile_step(self.tracker)
        centres = [(state.center[0] + dx * step, state.center[1] + dy * step)
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        best = max(self.tracker.detect(frame, centres), key=lambda c: c.score)
        if best.score >= self.loss.lost_threshold:
            self.tracker.relocate(best.center)
        return len(centres)

    def _timed_track(self, frame: np.ndarray):
        """The local tracker's step, its duration kept (a running mean) to judge what fits
        before a deadline."""
        started = time.monotonic()
        result = self.tracker.track(frame)
        took = time.monotonic() - started
        self._crop_s = took if self._crop_s == 0.0 else 0.8 * self._crop_s + 0.2 * took
        self._rivals = result.rivals
        return result

    def _track(self, frame: np.ndarray, deadline: float | None = None) -> SessionResult:
        crops = (self._widened_search(frame) if self._widen_next else 0) + 1
        result = self._timed_track(frame)
        self._bbox = tuple(float(v) for v in result.bbox)
        self._confidence, self._centerness = float(result.confidence), float(result.centerness)
        if self._confidence >= self.loss.lost_threshold:
            self._loss_watch.hit()
            if self.state == TrackState.LOST:
                self.state, self._frames_since_loss = TrackState.TRACKING, 0
                return self._result(TrackState.TRACKING, "target recovered", crops)
            if not (result.rivals.ambiguous or result.rivals.coasted):  # the memory never takes a rival's frame
                self._memory.record(self._confidence, self._bbox, self.redetection.reacquire_threshold)
            if self._doubtful() and self._fits(deadline):
                return self._check_elsewhere(frame, crops)
            return self._result(crops=crops)
        lost_now = self._loss_watch.miss(self.loss.lost_patience)
        if self.state == TrackState.LOST:
            self._frames_since_loss += 1
        elif lost_now:
            self.state, self._frames_since_loss = TrackState.LOST, 0
            return self._result(TrackState.LOST, f"target lost: confidence below "
                                f"{self.loss.lost_threshold:g} for {self.loss.lost_patience} frames", crops)
        return self._result(crops=crops)

    def _search_size(self) -> tuple[float, float]:
        return self._memory.reference_size or self.tracker.state.size

    def _frame_tiles(self) -> list[tuple[float, float]]:
        state = self.tracker.state
        return search_tiles(state.frame_size, tile_step(self.tracker, self._search_size()), state.center)

    def _doubtful(self) -> bool:
        """A recent confidence under ``reacquire_threshold``: a confident track is never checked."""
        settings = self.redetection
        return (settings.enabled and settings.check_interval > 0
                and self._memory.recent_median() < settings.reacquire_threshold)

    def _check_elsewhere(self, frame: np.ndarray, crops: int) -> SessionResult:
        """One whole-frame check crop every ``check_interval`` tracked frames: a rival match
        clearly better than the tracked box, confirmed on consecutive checks, takes over."""
        settings = self.redetection
        if not self._checks.due(settings.check_interval):
            return self._result(crops=crops)
        centre = self._checks.next_centre(self._frame_tiles)
        tracked = self._memory.recent_median()
        bar = max(settings.reacquire_threshold, tracked + settings.switch_margin)
        found = unless_rival(self.tracker, frame, self.tracker.detect(frame, [centre], self._search_size())[0], bar)
        x, y, width, height = self._bbox
        apart = np.hypot(found.center[0] - (x + width / 2), found.center[1] - (y + height / 2))
        rival = self._checks.judge(found, apart > max(width, height) and found.score >= bar,
                                   settings.reacquire_frames)
        if rival is None:
            return self._result(crops=crops + 1)
        self._move_to(rival)
        self._checks.tiles = None
        return self._result(TrackState.TRACKING, f"tracking moved to a better match (score {rival.score:.2f} "
                            f"against {tracked:.2f} where it was)", crops + 1)

    def _begin_search(self, frame: np.ndarray, deadline: float | None = None) -> SessionResult:
        self._search_state = FrameSearch(self._frame_tiles())
        self.state = TrackState.SEARCHING
        result = self._search(frame, deadline)
        return replace(result, change=TrackState.SEARCHING,
                       message=f"searching the whole frame ({len(self._search_state.sweep)} crops, "
                               f"{self.redetection.crops_per_frame} per frame)")

    def _search(self, frame: np.ndarray, deadline: float | None = None) -> SessionResult:
        settings, search = self.redetection, self._search_state
        bar = self._memory.reacquire_bar(settings.reacquire_threshold)
        local = self._timed_track(frame)
        self._frames_since_loss += 1
        local_found = Candidate(local.confidence, self.tracker.state.center, self.tracker.state.size)
        if search.local_step(unless_rival(self.tracker, frame, local_found, bar).score >= bar) \
                >= settings.reacquire_frames:
            return self._found_nearby(local, 1)
        # the candidate's check, or the first sweep crop, always runs; the others while one
        # more crop still ends before the deadline
        size = self._search_size()
        centres = search.first_centres()
        found = self.tracker.detect(frame, centres, size)
        for _ in range(settings.crops_per_frame - len(centres)):
            if not self._fits(deadline):
                break
            more = search.sweep.take(1)
            found += self.tracker.detect(frame, more, size)
            centres += more
        best = search.judge([unless_rival(self.tracker, frame, c, bar) for c in found], bar)
        self._confidence, self._centerness = max(float(best.score), float(local.confidence)), 0.0
        candidate = search.confirmed(settings.reacquire_frames)
        if candidate is not None:
            self._move_to(candidate)
            return self._resume("target re-acquired", candidate.score, len(centres) + 1)
        return self._result(crops=len(centres) + 1)

    def _move_to(self, candidate: Candidate) -> None:
        """Tracking goes on from ``candidate`` with the first template."""
        self.tracker.relocate(candidate.center, candidate.size)
        self._restart(candidate.bbox, candidate.score)

    def _restart(self, bbox, confidence: float) -> None:
        """Tracking goes on from ``bbox`` (where the tracker now is): the search and check
        bookkeeping starts afresh."""
        self._bbox = tuple(float(v) for v in bbox)
        self._confidence = float(confidence)
        self._loss_watch.hit()
        self._memory.recent.clear()
        self._search_state = FrameSearch()
        self._checks.forget()

    def _found_nearby(self, local, crops: int) -> SessionResult:
        """The local tracker, run on while searching, is confident again: tracking goes on
        from its box."""
        self._restart(local.bbox, local.confidence)
        self._centerness = float(local.centerness)
        return self._resume("target found again by the local tracker", local.confidence, crops)

    def _resume(self, what: str, score: float, crops: int) -> SessionResult:
        lost_for = self._frames_since_loss
        self.state, self._frames_since_loss = TrackState.TRACKING, 0
        return self._result(TrackState.TRACKING, f"{what} after {lost_for} frames (score {score:.2f})", crops)
