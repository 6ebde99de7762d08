"""The session's bookkeeping, one small state machine each: the target's remembered confidence
and size (``TargetMemory``), loss counting (``LossWatch``), the whole-frame search after a loss
(``FrameSearch``) and the checks for a better match while tracking in doubt (``RivalCheck``).
They hold counters and candidates only; ``session.TrackingSession`` runs the network and
decides the state. What each does is described in docs/confidence-and-redetection.md."""
from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Callable

import numpy as np
import torch

from .tracker import Candidate
from .verifier import box_patch

__all__ = ["FrameSearch", "LossWatch", "RivalCheck", "TargetMemory", "TileCycle", "rival_refusal", "search_tiles",
           "tile_step", "unless_rival",
           "LEVEL_FRAMES", "LEVEL_MARGIN", "RECENT_FRAMES"]

# tracked frames whose median confidence a rival found by a whole-frame check must beat
RECENT_FRAMES = 5
# The target's own confidence level: the median of its first LEVEL_FRAMES confidently tracked
# frames. A re-detected candidate must score at least that less LEVEL_MARGIN (and
# reacquire_threshold): a look-alike scores a little under the target it copies.
LEVEL_FRAMES = 10
LEVEL_MARGIN = 0.1


def search_tiles(frame_size: tuple[int, int], step: float, origin) -> list[tuple[float, float]]:
    """Centres of search crops spaced ``step`` apart covering a (width, height) frame, nearest
    ``origin`` first (rings widening to the whole frame)."""
    width, height = frame_size
    step = max(float(step), 1.0)

    def axis(length: int) -> np.ndarray:
        count = max(1, int(np.ceil(length / step)))
        return (np.arange(count) + 0.5) * (length / count)

    xs, ys = np.meshgrid(axis(width), axis(height))
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
    order = np.argsort(np.hypot(centres[:, 0] - origin[0], centres[:, 1] - origin[1]), kind="stable")
    return [tuple(float(v) for v in centres[k]) for k in order]


def tile_step(tracker, size=None) -> float:
    """Image pixels between neighbouring search crops of ``tracker``: the part of a crop whose
    cells can hold the target's centre, at the target's current scale (or at ``size``)."""
    geometry = tracker.geometry
    coverage = geometry.stride * (geometry.score_size - 1) / geometry.search_size
    return coverage * tracker.search_side(size)


def rival_refusal(tracker, frame: np.ndarray, candidate: Candidate) -> str:
    """Why ``candidate`` must not be taken for the target (a known look-alike: where one is
    predicted, or more like a remembered one than like the target to the box verifier), else ''."""
    verifier, reference = tracker.verifier, tracker.verifier_reference
    likeness = None
    if verifier is not None and reference is not None:
        def likeness(looks: list[np.ndarray]) -> tuple[float, list[float]]:
            patch = box_patch(frame, candidate.bbox)
            pairs = np.stack([np.concatenate([look, patch], axis=0) for look in (reference, *looks)])
            with torch.no_grad():
                answers = torch.sigmoid(verifier(torch.from_numpy(pairs))).double().numpy().ravel()
            return float(answers[0]), [float(a) for a in answers[1:]]
    return tracker.distractors.refuses(candidate.center, candidate.size, likeness)


def unless_rival(tracker, frame: np.ndarray, candidate: Candidate, bar: float) -> Candidate:
    """``candidate``, or the same with score 0 when it would pass ``bar`` but is a known look-alike."""
    if candidate.score < bar or not rival_refusal(tracker, frame, candidate):
        return candidate
    return replace(candidate, score=0.0)


class TileCycle:
    """Search crop centres handed out in order, starting over after the last."""

    def __init__(self, tiles: list[tuple[float, float]]):
        self.tiles, self.taken = tiles, 0

    def __len__(self) -> int:
        return len(self.tiles)

    @property
    def swept(self) -> bool:
        return self.taken >= len(self.tiles)

    def take(self, count: int) -> list[tuple[float, float]]:
        picked = [self.tiles[(self.taken + k) % len(self.tiles)] for k in range(min(count, len(self.tiles)))]
        self.taken += len(picked)
        return picked


class TargetMemory:
    """The target's confidently tracked frames: the recent confidences, its own level (the
    first LEVEL_FRAMES), and its reference size (the size on the last frame tracked with at
    least ``reacquire_threshold``; the initial box at first)."""

    def __init__(self, bbox=None):
        self.recent: deque[float] = deque(maxlen=RECENT_FRAMES)
        self.level: list[float] = []
        self.reference_size = None if bbox is None else (float(bbox[2]), float(bbox[3]))

    def record(self, confidence: float, bbox, reacquire_threshold: float) -> None:
        self.recent.append(confidence)
        if len(self.level) < LEVEL_FRAMES:
            self.level.append(confidence)
        if confidence >= reacquire_threshold:
            self.reference_size = (bbox[2], bbox[3])

    def recent_median(self) -> float:
        return float(np.median(self.recent))

    def reacquire_bar(self, reacquire_threshold: float) -> float:
        """What a re-detected candidate must score: ``reacquire_threshold``, and the target's
        own level less LEVEL_MARGIN once that is known (at most 0.95)."""
        bar = reacquire_threshold
        if len(self.level) >= LEVEL_FRAMES:
            bar = max(bar, min(0.95, float(np.median(self.level)) - LEVEL_MARGIN))
        return bar


class LossWatch:
    """Consecutive frames under ``lost_threshold``."""

    def __init__(self):
        self.misses = 0

    def hit(self) -> None:
        self.misses = 0

    def miss(self, patience: int) -> bool:
        """Count a miss; True when this one makes ``patience`` in a row."""
        self.misses += 1
        return self.misses >= patience


class FrameSearch:
    """SEARCHING: crops swept over the frame, the best confident one kept as a candidate and
    checked again on the next frames, and the local tracker's run of confident frames."""

    def __init__(self, tiles: list[tuple[float, float]] | None = None):
        self.sweep = TileCycle(tiles or [])
        self.candidate: Candidate | None = None
        self.streak = 0
        self.local_streak = 0

    def local_step(self, confident: bool) -> int:
        """Count the local tracker's confident frames in a row; returns the count."""
        self.local_streak = self.local_streak + 1 if confident else 0
        return self.local_streak

    def first_centres(self) -> list[tuple[float, float]]:
        """The candidate's centre when there is one, else the next sweep crop's."""
        return [self.candidate.center] if self.candidate is not None else self.sweep.take(1)

    def judge(self, found: list[Candidate], bar: float) -> Candidate:
        """Update the candidate from this frame's crops (the first one the candidate's check
        when there is a candidate); returns the best-scoring crop."""
        checked = found[0] if self.candidate is not None else None
        fresh = found[1:] if checked is not None else found
        newcomer = max(fresh, key=lambda c: c.score) if fresh else None
        held = checked is not None and checked.score >= bar
        if newcomer is not None and newcomer.score >= bar and (not held or newcomer.score > checked.score):
            self.candidate, self.streak = newcomer, 1
        elif held:
            self.candidate, self.streak = checked, self.streak + 1
        else:
            self.candidate, self.streak = None, 0
        return max(found, key=lambda c: c.score)

    def confirmed(self, frames: int) -> Candidate | None:
        return self.candidate if self.candidate is not None and self.streak >= frames else None


class RivalCheck:
    """While TRACKING in doubt: one crop elsewhere in the frame every ``check_interval``
    frames (tiles cycled), and a rival that beats the tracked box confirmed on consecutive
    checks."""

    def __init__(self):
        self.tiles: TileCycle | None = None
        self.since_check = 0
        self.rival: Candidate | None = None
        self.streak = 0

    def due(self, interval: int) -> bool:
        self.since_check += 1
        if self.since_check < interval:
            return False
        self.since_check = 0
        return True

    def next_centre(self, frame_tiles: Callable[[], list[tuple[float, float]]]) -> tuple[float, float]:
        """The rival's centre while there is one, else the next tile (a fresh cycle of
        ``frame_tiles()`` once the last one is swept)."""
        if self.rival is not None:
            return self.rival.center
        if self.tiles is None or self.tiles.swept:
            self.tiles = TileCycle(frame_tiles())
        return self.tiles.take(1)[0]

    def judge(self, found: Candidate, is_rival: bool, frames: int) -> Candidate | None:
        """Keep ``found`` as the rival when ``is_rival``, else drop the rival; returns it once
        it has been confirmed on ``frames`` consecutive checks."""
        if is_rival:
            self.rival, self.streak = found, self.streak + 1
        else:
            self.rival, self.streak = None, 0
        return self.rival if self.rival is not None and self.streak >= frames else None

    def forget(self) -> None:
        """No rival, and the next check one full interval away (tracking restarted)."""
        self.rival, self.streak, self.since_check = None, 0, 0
