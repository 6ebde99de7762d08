"""One-pass evaluation: run trackers over a dataset (in worker processes) and store results.

Result layout under ``<results>/<dataset>/<tracker>/`` (what pysot-toolkit and the got10k
toolkit read):

- default: ``<seq>.txt`` (one ``x,y,w,h`` line per frame, the first being the initial box)
  and ``times/<seq>_time.txt`` (seconds per frame);
- TrackingNet: ``<seq>.txt`` only; times go to ``<results>/<dataset>/times/<tracker>/``;
- GOT-10k: the submission layout ``<seq>/<seq>_001.txt`` and ``<seq>/<seq>_time.txt``.

A sequence whose box file exists is skipped (resume); files are written atomically, so an
interrupted run leaves no half-written result behind.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .baselines import BASELINES, OpenCVTracker
from .metrics import LongTermSequence, SequenceScore, long_term_sequence, score_sequence
from siamcar_ros.data import (DatasetError, Protocol, TrackingDataset, TrackingSequence, read_boxes,
                      read_number_rows)

LOG = logging.getLogger(__name__)
TRACKER_KINDS = ("siamcar", "siamcar-lt", *BASELINES)
SIAMCAR_KINDS = ("siamcar", "siamcar-lt")


@dataclasses.dataclass(frozen=True)
class TrackerSpec:
    """Which tracker to build in a worker; ``name`` is its result folder and plot label."""

    kind: str
    name: str = ""
    checkpoint: str | None = None
    backbone: str | None = None
    strategy: str | None = None
    preset: str | None = None
    device: str = "auto"
    threads: int | None = None       # torch threads per worker (None: leave torch's choice)
    params: tuple[tuple[str, object], ...] = ()   # explicit tracker settings (name, value)
    precision: str = "fp32"
    accelerator: str = "auto"
    nanotrack_files: tuple[str, str] | None = None   # (backbone, head) ONNX; None: environment
    distractor_aware: bool = True    # False: the look-alike judgement off (tracking/distractors.py)
    camera_motion: bool = True       # False: the judgement without the camera's motion taken out

    def __post_init__(self):
        if self.kind not in TRACKER_KINDS:
            raise ValueError(f"unknown tracker {self.kind!r}; choose from {TRACKER_KINDS}")
        if not self.name:
            object.__setattr__(self, "name", self.kind)


def build_tracker(spec: TrackerSpec):
    """A fresh tracker object with init(frame, xywh) / track(frame)."""
    if spec.kind in BASELINES:
        return OpenCVTracker(spec.kind, spec.nanotrack_files)
    if spec.kind == "siamcar-lt":
        return LongTermTracker(_siamcar_tracker(spec))
    return _siamcar_tracker(spec)


class LongTermTracker:
    """``siamcar-lt``: the tracker inside a TrackingSession with loss detection and
    re-detection (library defaults, the node's default loss threshold). It reports a confidence
    only while TRACKING: 0 while the target is declared lost or searched for, as long-term
    toolkits read a tracker that says the target is not there."""

    def __init__(self, tracker):
        from siamcar_ros.tracking.confidence import DEFAULT_LOST_THRESHOLD
        from siamcar_ros.tracking.session import LossSettings, TrackingSession

        self.session = TrackingSession(tracker, LossSettings(DEFAULT_LOST_THRESHOLD))

    def init(self, frame, bbox) -> None:
        self.session.start(frame, bbox)

    def track(self, frame):
        from .baselines import BaselineResult

        result = self.session.step(frame)
        return BaselineResult(bbox=result.bbox, confidence=result.confidence if result.has_target else 0.0)


@functools.lru_cache(maxsize=4)
def _siamcar_tracker(spec: TrackerSpec):
    # one network per worker process and spec: init() resets the tracker's state per sequence
    import torch

    from siamcar_ros.data.procedural.calibration import calibration_crops
    from siamcar_ros.tracking import load_tracker
    from siamcar_ros.tracking.distractors import DistractorSettings

    if spec.threads:
        torch.set_num_threads(spec.threads)
    # what the command line leaves unset comes from the checkpoint's recommended settings
    requested = {key: value for key, value in (("preset", spec.preset), ("strategy", spec.strategy))
                 if value}
    requested.update(dict(spec.params))
    tracker = load_tracker(spec.checkpoint, backbone=spec.backbone, device=spec.device,
                           params=requested, precision=spec.precision,
                           calibration=calibration_crops, accelerator=spec.accelerator)
    tracker.distractors.configure(DistractorSettings(enabled=spec.distractor_aware,
                                                     camera_motion=spec.camera_motion))
    return tracker


def track_sequence(tracker, sequence: TrackingSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (first = initial box), per-frame seconds (first = init) and per-frame confidence
    (first = 1; NaN throughout for trackers that report none) on one sequence."""
    boxes = np.zeros((len(sequence), 4))
    seconds = np.zeros(len(sequence))
    confidences = np.full(len(sequence), np.nan)
    confidences[0] = 1.0
    boxes[0] = sequence.initial_box
    first = sequence.read_frame(0)
    start = time.perf_counter()
    tracker.init(first, tuple(float(v) for v in boxes[0]))
    seconds[0] = time.perf_counter() - start
    for index in range(1, len(sequence)):
        frame = sequence.read_frame(index)
        start = time.perf_counter()
        result = tracker.track(frame)
        seconds[index] = time.perf_counter() - start
        box = np.asarray(getattr(result, "bbox", result), dtype=np.float64).ravel()
        if box.shape != (4,) or not np.all(np.isfinite(box)):
            raise RuntimeError(f"{sequence.name} frame {index + 1}: tracker returned {box}, "
                               "not a finite x, y, w, h box")
        boxes[index] = box
        confidence = getattr(result, "confidence", None)
        if confidence is not None:
            confidences[index] = float(confidence)
    if np.all(np.isnan(confidences[1:])):
        confidences[:] = np.nan
    return boxes, seconds, confidences


# ----------------------------------------------------------------------------- result files

@dataclasses.dataclass(frozen=True)
class ResultStore:
    """Where one dataset's results live: ``<root>/<dataset>/<tracker>/...``."""

    root: Path
    dataset: str
    layout: str = "pysot"      # "pysot" / "trackingnet" (<seq>.txt) or "got10k" (submission)

    def tracker_dir(self, tracker: str) -> Path:
        return Path(self.root) / self.dataset / tracker

    def box_path(self, tracker: str, sequence: str) -> Path:
        if self.layout == "got10k":
            return self.tracker_dir(tracker) / sequence / f"{sequence}_001.txt"
        return self.tracker_dir(tracker) / f"{sequence}.txt"

    def time_path(self, tracker: str, sequence: str) -> Path:
        if self.layout == "got10k":
            return self.tracker_dir(tracker) / sequence / f"{sequence}_time.txt"
        if self.layout == "trackingnet":
            # the TrackingNet server wants only <seq>.txt files in the submitted folder
            return Path(self.root) / self.dataset / "times" / tracker / f"{sequence}_time.txt"
        return self.tracker_dir(tracker) / "times" / f"{sequence}_time.txt"

    def confidence_path(self, tracker: str, sequence: str) -> Path:
        """Per-frame confidence, one value a line (as the long-term toolkits read it)."""
        if self.layout == "got10k":
            return self.tracker_dir(tracker) / sequence / f"{sequence}_001_confidence.value"
        if self.layout == "trackingnet":
            # beside the times: the submitted folder holds only <seq>.txt files
            return Path(self.root) / self.dataset / "confidence" / tracker / f"{sequence}_confidence.value"
        return self.tracker_dir(tracker) / "confidence" / f"{sequence}_confidence.value"

    def has(self, tracker: str, sequence: str) -> bool:
        return self.box_path(tracker, sequence).is_file()

    def write(self, tracker: str, sequence: str, boxes: np.ndarray, seconds: np.ndarray,
              confidences: np.ndarray | None = None):
        if confidences is not None and not np.all(np.isnan(confidences)):
            _write_atomically(self.confidence_path(tracker, sequence), confidences[:, None], "%.6f")
        _write_atomically(self.time_path(tracker, sequence), seconds[:, None], "%.8f")
        _write_atomically(self.box_path(tracker, sequence), boxes, "%.4f")

    def read_boxes(self, tracker: str, sequence: str, num_frames: int) -> np.ndarray:
        path = self.box_path(tracker, sequence)
        boxes = read_boxes(path)
        if len(boxes) != num_frames:
            raise DatasetError(f"{path}: {len(boxes)} boxes for {num_frames} frames (one "
                               f"x,y,w,h line per frame expected)")
        return boxes

    def read_confidences(self, tracker: str, sequence: str, num_frames: int) -> np.ndarray | None:
        path = self.confidence_path(tracker, sequence)
        if not path.is_file():
            return None
        values = np.concatenate(read_number_rows(path, (1,), allow_nan=True))
        if len(values) != num_frames:
            raise DatasetError(f"{path}: {len(values)} confidences for {num_frames} frames")
        return values

    def read_seconds(self, tracker: str, sequence: str) -> np.ndarray | None:
        path = self.time_path(tracker, sequence)
        if not path.is_file():
            return None
        return np.concatenate(read_number_rows(path, (1,), allow_nan=False))


def _write_atomically(path: Path, rows: np.ndarray, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    np.savetxt(partial, rows, fmt=fmt, delimiter=",")
    partial.replace(path)


def store_for(dataset: TrackingDataset, results_root: Path) -> ResultStore:
    return ResultStore(Path(results_root), dataset.name, dataset.protocol.submission)


# ----------------------------------------------------------------------------- running

@dataclasses.dataclass(frozen=True)
class _Task:
    spec: TrackerSpec
    sequence: TrackingSequence
    store: ResultStore


def _run_task(task: _Task) -> tuple[str, str, int, float]:
    try:
        boxes, seconds, confidences = track_sequence(build_tracker(task.spec), task.sequence)
    except Exception as error:
        raise RuntimeError(f"{task.spec.name} on {task.sequence.name}: {error}") from error
    task.store.write(task.spec.name, task.sequence.name, boxes, seconds, confidences)
    return task.spec.name, task.sequence.name, len(boxes) - 1, float(seconds[1:].sum())


def run_trackers(dataset: TrackingDataset, specs: Sequence[TrackerSpec], results_root: Path,
                 workers: int = 1, resume: bool = True, progress: bool = True) -> list[tuple]:
    """Run every tracker on every sequence not already done; returns what ran.

    Each returned item is (tracker, sequence, frames tracked, seconds spent tracking).
    """
    from tqdm import tqdm

    store = store_for(dataset, results_root)
    tasks = [_Task(spec, sequence, store) for spec in specs for sequence in dataset
             if not (resume and store.has(spec.name, sequence.name))]
    skipped = len(specs) * len(dataset) - len(tasks)
    if skipped:
        LOG.info("resuming: %d tracker/sequence results already present", skipped)
    done = []
    bar = tqdm(total=len(tasks), desc=f"{dataset.name}", unit="seq", disable=not progress)
    if workers <= 1:
        for task in tasks:
            done.append(_run_task(task))
            bar.update()
    else:
        # spawn: worker processes must not inherit torch/OpenCV thread pools from a fork
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_run_task, task) for task in tasks]
            try:
                for future in as_completed(futures):
                    done.append(future.result())
                    bar.update()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)   # finished results stay on disk
                raise
    bar.close()
    return done


# ----------------------------------------------------------------------------- scoring

def long_term_scores(dataset: TrackingDataset, tracker: str,
                     results_root: Path) -> list[LongTermSequence] | None:
    """Per-frame overlaps, presence and confidences of one tracker's stored results, for the
    long-term measures; None when the tracker stored no confidences."""
    store = store_for(dataset, results_root)
    sequences = []
    for sequence in dataset:
        if not sequence.has_full_ground_truth:
            continue
        confidences = store.read_confidences(tracker, sequence.name, len(sequence))
        if confidences is None:
            return None
        boxes = store.read_boxes(tracker, sequence.name, len(sequence))
        sequences.append(long_term_sequence(sequence.name, boxes, sequence.ground_truth,
                                            sequence.absent, confidences))
    return sequences


def score_tracker(dataset: TrackingDataset, tracker: str,
                  results_root: Path) -> list[SequenceScore]:
    """Score one tracker's stored results on the sequences that have full ground truth."""
    store = store_for(dataset, results_root)
    protocol: Protocol = dataset.protocol
    scores = []
    for sequence in dataset:
        if not sequence.has_full_ground_truth:
            continue
        boxes = store.read_boxes(tracker, sequence.name, len(sequence))
        if not protocol.skip_first_frame and np.all(np.isfinite(sequence.ground_truth[0])):
            boxes[0] = sequence.ground_truth[0]   # the toolkits score frame 1 as given
        image_size = None
        if protocol.clip_to_image:
            image_size = sequence.image_size or sequence.read_frame(0).shape[1::-1]
        seconds = store.read_seconds(tracker, sequence.name)
        scores.append(score_sequence(
            sequence.name, boxes, sequence.ground_truth, sequence.absent,
            skip_first_frame=protocol.skip_first_frame, image_size=image_size,
            attributes=sequence.attributes, seconds=None if seconds is None else seconds[1:],
            confidences=store.read_confidences(tracker, sequence.name, len(sequence))))
    return scores
