"""One-pass evaluation metrics, computed the way the benchmark toolkits compute them.

Conventions (those of the got10k toolkit and pysot-toolkit):
- Boxes are ``x, y, w, h``; IoU uses areas ``w * h`` and the intersection
  ``min(x + w) - max(x)`` (no +1 pixel), clipped to [0, 1].
- A box's centre is ``x + (w - 1) / 2``; centre error is the Euclidean distance of centres.
  Normalised centre error divides both centres by the ground-truth width/height first.
- Success at a threshold counts IoU strictly above it (thresholds 0, 0.05, ..., 1; the AUC
  is their mean); precision counts centre errors at or below it (0..50 px, score at 20 px);
  normalised precision likewise over 0..0.5 (score at 0.2).
- Curves are averaged over sequences (OTB/UAV123/LaSOT style); GOT-10k's AO and SR pool
  the IoUs of all evaluated frames of all sequences.
- Frames whose ground truth is unknown (NaN, non-positive size) or marked absent are left
  out; GOT-10k also leaves out the first frame and clips boxes to the image first.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64) / 100
PRECISION_INDEX = 20          # 20 px
NORM_PRECISION_INDEX = 20     # 0.2 of the target size


def _as_boxes(boxes, what: str) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{what} must be N x 4 (x, y, w, h), got shape {array.shape}")
    return array


def clip_to_image(boxes: np.ndarray, image_size: tuple[float, float]) -> np.ndarray:
    """Clip x, y, w, h boxes to an image of (width, height), as GOT-10k does before IoU."""
    width, height = image_size
    clipped = np.array(boxes, dtype=np.float64, copy=True)
    clipped[:, 0] = np.clip(clipped[:, 0], 0, width)
    clipped[:, 1] = np.clip(clipped[:, 1], 0, height)
    clipped[:, 2] = np.clip(clipped[:, 2], 0, width - clipped[:, 0])
    clipped[:, 3] = np.clip(clipped[:, 3], 0, height - clipped[:, 1])
    return clipped


def iou(boxes_a, boxes_b, image_size: tuple[float, float] | None = None) -> np.ndarray:
    """Per-row intersection over union of two N x 4 x, y, w, h arrays."""
    a, b = _as_boxes(boxes_a, "boxes_a"), _as_boxes(boxes_b, "boxes_b")
    if a.shape != b.shape:
        raise ValueError(f"box arrays differ in shape: {a.shape} vs {b.shape}")
    if image_size is not None:
        a, b = clip_to_image(a, image_size), clip_to_image(b, image_size)
    left = np.maximum(a[:, 0], b[:, 0])
    top = np.maximum(a[:, 1], b[:, 1])
    right = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    bottom = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    intersection = np.maximum(right - left, 0) * np.maximum(bottom - top, 0)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - intersection
    return np.clip(intersection / (union + np.finfo(float).eps), 0.0, 1.0)


def box_centres(boxes) -> np.ndarray:
    boxes = _as_boxes(boxes, "boxes")
    return boxes[:, :2] + (boxes[:, 2:] - 1) / 2


def centre_error(predicted, ground_truth) -> np.ndarray:
    return np.linalg.norm(box_centres(predicted) - box_centres(ground_truth), axis=1)


def normalised_centre_error(predicted, ground_truth) -> np.ndarray:
    """Centre error with both centres divided by the ground-truth size (pysot-toolkit)."""
    size = _as_boxes(ground_truth, "ground_truth")[:, 2:] + 1e-16
    return np.linalg.norm(box_centres(predicted) / size - box_centres(ground_truth) / size,
                          axis=1)


def success_curve(ious: np.ndarray) -> np.ndarray:
    return np.mean(np.asarray(ious)[:, None] > SUCCESS_THRESHOLDS[None], axis=0)


def precision_curve(errors: np.ndarray, thresholds: np.ndarray = PRECISION_THRESHOLDS):
    return np.mean(np.asarray(errors)[:, None] <= thresholds[None], axis=0)


@dataclasses.dataclass
class SequenceScore:
    """Per-frame measures of one tracker on one sequence, over the evaluated frames."""

    name: str
    ious: np.ndarray
    centre_errors: np.ndarray
    normalised_errors: np.ndarray
    attributes: tuple[str, ...] = ()
    seconds: np.ndarray | None = None     # per-frame tracking times (init frame excluded)
    # the tracker's confidence on on-target (IoU > 0.5) and off-target frames (IoU < 0.1 or
    # target absent); None when the tracker reports no confidence
    confidence_on: np.ndarray | None = None
    confidence_off: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return len(self.ious)

    @property
    def success_curve(self) -> np.ndarray:
        return success_curve(self.ious)

    @property
    def precision_curve(self) -> np.ndarray:
        return precision_curve(self.centre_errors)

    @property
    def norm_precision_curve(self) -> np.ndarray:
        return precision_curve(self.normalised_errors, NORM_PRECISION_THRESHOLDS)


def evaluated_frames(ground_truth: np.ndarray, absent: np.ndarray | None = None,
                     skip_first_frame: bool = False) -> np.ndarray:
    """Mask of frames that count: known, positive-size ground truth, not marked absent."""
    ground_truth = _as_boxes(ground_truth, "ground_truth")
    valid = np.all(np.isfinite(ground_truth), axis=1) & np.all(ground_truth[:, 2:] > 0, axis=1)
    if absent is not None:
        valid &= ~np.asarray(absent, bool)
    if skip_first_frame:
        valid[:1] = False
    return valid


ON_TARGET_IOU = 0.5
OFF_TARGET_IOU = 0.1


def split_confidences(confidences, predicted, ground_truth, absent=None,
                      image_size: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Confidences of on-target frames (IoU > 0.5) and of off-target frames (IoU < 0.1, or
    the target marked absent, where any confident report is false). The first frame (the
    initial box) and frames with unknown ground truth are left out; frames between the two
    IoU limits count in neither group."""
    confidences = np.asarray(confidences, np.float64).ravel()
    ground_truth = _as_boxes(ground_truth, "ground_truth")
    absent_mask = np.zeros(len(ground_truth), bool) if absent is None else np.asarray(absent, bool)
    known = evaluated_frames(ground_truth, None, skip_first_frame=True) & np.isfinite(confidences)
    overlaps = np.zeros(len(ground_truth))
    overlaps[known] = iou(_as_boxes(predicted, "predictions")[known], ground_truth[known], image_size)
    on = known & ~absent_mask & (overlaps > ON_TARGET_IOU)
    off = known & (absent_mask | (overlaps < OFF_TARGET_IOU))
    return confidences[on], confidences[off]


def roc_auc(positives, negatives) -> float | None:
    """Area under the ROC curve of a score separating positives from negatives: the chance
    that a random positive scores above a random negative, ties counting half (Mann-Whitney U).
    None when either group is empty."""
    positives, negatives = np.asarray(positives, np.float64), np.asarray(negatives, np.float64)
    if not len(positives) or not len(negatives):
        return None
    from scipy.stats import rankdata
    ranks = rankdata(np.concatenate([positives, negatives]))
    u = ranks[:len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(positives) * len(negatives)))


@dataclasses.dataclass(frozen=True)
class ConfidenceSummary:
    """How well a confidence tells on-target from off-target frames, and what a loss
    threshold does: the share of each group under it."""

    on_target_frames: int
    off_target_frames: int
    roc_auc: float | None
    threshold: float
    off_below: float | None     # share of off-target frames under the threshold (want high)
    on_below: float | None      # share of on-target frames under it (want low)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def summarise_confidence(scores: Sequence[SequenceScore], threshold: float) -> ConfidenceSummary | None:
    """Pooled over sequences; None when no sequence carries confidences."""
    carrying = [s for s in scores if s.confidence_on is not None]
    if not carrying:
        return None
    on = np.concatenate([s.confidence_on for s in carrying])
    off = np.concatenate([s.confidence_off for s in carrying])
    return ConfidenceSummary(
        on_target_frames=len(on), off_target_frames=len(off), roc_auc=roc_auc(on, off),
        threshold=float(threshold),
        off_below=float(np.mean(off < threshold)) if len(off) else None,
        on_below=float(np.mean(on < threshold)) if len(on) else None)


def score_sequence(name: str, predicted, ground_truth, absent=None,
                   skip_first_frame: bool = False,
                   image_size: tuple[float, float] | None = None,
                   attributes: Iterable[str] = (), seconds=None,
                   confidences=None) -> SequenceScore:
    """Measure one tracker's boxes (and, given, its per-frame confidences) against the ground
    truth of one sequence."""
    predicted = _as_boxes(predicted, f"{name} predictions")
    ground_truth = _as_boxes(ground_truth, f"{name} ground truth")
    if len(predicted) != len(ground_truth):
        raise ValueError(f"{name}: {len(predicted)} predicted boxes for "
                         f"{len(ground_truth)} ground-truth frames")
    valid = evaluated_frames(ground_truth, absent, skip_first_frame)
    pred, truth = predicted[valid], ground_truth[valid]
    on = off = None
    if confidences is not None:
        if len(confidences) != len(ground_truth):
            raise ValueError(f"{name}: {len(confidences)} confidences for {len(ground_truth)} frames")
        on, off = split_confidences(confidences, predicted, ground_truth, absent, image_size)
    return SequenceScore(
        name=name, ious=iou(pred, truth, image_size), centre_errors=centre_error(pred, truth),
        normalised_errors=normalised_centre_error(pred, truth), attributes=tuple(attributes),
        seconds=None if seconds is None else np.asarray(seconds, np.float64),
        confidence_on=on, confidence_off=off)


@dataclasses.dataclass
class Summary:
    """Scores of one tracker over a set of sequences."""

    success_curve: np.ndarray
    precision_curve: np.ndarray
    norm_precision_curve: np.ndarray
    ao: float
    sr50: float
    sr75: float
    num_sequences: int
    num_frames: int
    fps: float | None

    @property
    def success_auc(self) -> float:
        return float(np.mean(self.success_curve))

    @property
    def precision(self) -> float:
        return float(self.precision_curve[PRECISION_INDEX])

    @property
    def norm_precision(self) -> float:
        return float(self.norm_precision_curve[NORM_PRECISION_INDEX])

    def as_dict(self) -> dict:
        return {"success_auc": self.success_auc, "precision": self.precision,
                "norm_precision": self.norm_precision, "ao": self.ao, "sr50": self.sr50,
                "sr75": self.sr75, "fps": self.fps, "num_sequences": self.num_sequences,
                "num_frames": self.num_frames,
                "success_curve": self.success_curve.tolist(),
                "precision_curve": self.precision_curve.tolist(),
                "norm_precision_curve": self.norm_precision_curve.tolist()}


def summarise(scores: Sequence[SequenceScore]) -> Summary:
    """Average curves over sequences; pool frames for AO/SR; frames per second overall.

    Sequences with no evaluated frame (all absent) are left out.
    """
    counted = [s for s in scores if s.num_frames > 0]
    if not counted:
        raise ValueError("no sequence has an evaluated frame to score")
    pooled = np.concatenate([s.ious for s in counted])
    timed = [s.seconds for s in scores if s.seconds is not None and len(s.seconds)]
    total_time = float(sum(t.sum() for t in timed))
    fps = sum(len(t) for t in timed) / total_time if timed and total_time > 0 else None
    return Summary(
        success_curve=np.mean([s.success_curve for s in counted], axis=0),
        precision_curve=np.mean([s.precision_curve for s in counted], axis=0),
        norm_precision_curve=np.mean([s.norm_precision_curve for s in counted], axis=0),
        ao=float(np.mean(pooled)), sr50=float(np.mean(pooled > 0.5)),
        sr75=float(np.mean(pooled > 0.75)), num_sequences=len(counted),
        num_frames=len(pooled), fps=fps)


def summarise_by_attribute(scores: Sequence[SequenceScore]) -> dict[str, Summary]:
    """A Summary per sequence attribute (sequences carrying it), sorted by attribute name."""
    names = sorted({a for s in scores for a in s.attributes})
    by_attribute = {}
    for name in names:
        having = [s for s in scores if name in s.attributes and s.num_frames > 0]
        if having:
            by_attribute[name] = summarise(having)
    return by_attribute


# ----------------------------------------------------------------------------- long term

LONG_TERM_THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 2)


@dataclasses.dataclass(frozen=True)
class LongTermSequence:
    """Per-frame overlap (0 where the target is absent), presence and confidence of one
    sequence, the initial frame left out."""

    name: str
    ious: np.ndarray
    present: np.ndarray
    confidences: np.ndarray


def long_term_sequence(name: str, predicted, ground_truth, absent, confidences,
                       image_size: tuple[float, float] | None = None) -> LongTermSequence:
    predicted = _as_boxes(predicted, f"{name} predictions")[1:]
    ground_truth = _as_boxes(ground_truth, f"{name} ground truth")[1:]
    present = ~np.asarray(absent, bool)[1:] & np.all(np.isfinite(ground_truth), axis=1) \
        & np.all(ground_truth[:, 2:] > 0, axis=1)
    ious = np.zeros(len(ground_truth))
    ious[present] = iou(predicted[present], ground_truth[present], image_size)
    confidences = np.nan_to_num(np.asarray(confidences, np.float64)[1:], nan=0.0)
    return LongTermSequence(name, ious, present, confidences)


def long_term_curves(sequences: Sequence[LongTermSequence],
                     thresholds: np.ndarray = LONG_TERM_THRESHOLDS):
    """Tracking precision, recall and F-score per confidence threshold, as the VOT long-term
    challenge defines them: at threshold t the tracker reports the frames whose confidence
    is >= t; precision is the mean overlap over reported frames (0 where the target is
    absent), recall the summed overlap of reported frames over the frames where the target is
    present; both are averaged over sequences (precision over those reporting any frame)."""
    precision, recall = np.zeros(len(thresholds)), np.zeros(len(thresholds))
    for k, threshold in enumerate(thresholds):
        per_precision, per_recall = [], []
        for s in sequences:
            reported = s.confidences >= threshold
            if reported.any():
                per_precision.append(float(s.ious[reported].mean()))
            if s.present.any():
                per_recall.append(float(s.ious[reported & s.present].sum() / s.present.sum()))
        precision[k] = np.mean(per_precision) if per_precision else 0.0
        recall[k] = np.mean(per_recall) if per_recall else 0.0
    denominator = np.where(precision + recall > 0, precision + recall, 1.0)
    return precision, recall, 2 * precision * recall / denominator


@dataclasses.dataclass(frozen=True)
class ReacquisitionSummary:
    """What happens after the target comes back, and whenever the tracker starts reporting
    again after a gap: delays in frames from each reappearance to the first reported frame with
    IoU > 0.5 (None: never, before it left again or the sequence ended), and how many of the
    tracker's re-acquisitions (reporting again after ``gap`` or more silent frames) landed on
    something else (IoU < 0.1, or the target absent)."""

    delays: tuple
    reacquisitions: int
    false_reacquisitions: int

    @property
    def median_delay(self) -> float | None:
        found = [d for d in self.delays if d is not None]
        return float(np.median(found)) if found else None

    @property
    def never(self) -> int:
        return sum(d is None for d in self.delays)

    @property
    def false_rate(self) -> float | None:
        return self.false_reacquisitions / self.reacquisitions if self.reacquisitions else None


def reacquisition_summary(sequences: Sequence[LongTermSequence], threshold: float,
                          gap: int = 10) -> ReacquisitionSummary:
    delays, events, false = [], 0, 0
    for s in sequences:
        reported = s.confidences >= threshold
        found = reported & (s.ious > ON_TARGET_IOU)
        returns = np.flatnonzero(s.present[1:] & ~s.present[:-1]) + 1
        for start in returns:
            gone_again = np.flatnonzero(~s.present[start:])
            end = start + (int(gone_again[0]) if len(gone_again) else len(s.present) - start)
            hit = np.flatnonzero(found[start:end])
            delays.append(int(hit[0]) if len(hit) else None)
        silent = 0
        for k, on in enumerate(reported):
            if on and silent >= gap:
                events += 1
                false += int(not s.present[k] or s.ious[k] < OFF_TARGET_IOU)
            silent = 0 if on else silent + 1
    return ReacquisitionSummary(tuple(delays), events, false)
