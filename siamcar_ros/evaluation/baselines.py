"""OpenCV's CSRT and KCF trackers behind the same init/track interface as SiamCARTracker."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

BASELINES = ("csrt", "kcf")


@dataclasses.dataclass(frozen=True)
class BaselineResult:
    """What track() returns: box (x, y, w, h); confidence 1 when OpenCV reports success."""

    bbox: tuple[float, float, float, float]
    confidence: float
    centerness: float = 0.0
    maps: dict | None = None


def _create(kind: str):
    # the legacy classes keep sub-pixel (float) boxes; the current API rounds to integers
    legacy = getattr(cv2, "legacy", None)
    factories = {
        "csrt": (getattr(legacy, "TrackerCSRT_create", None), getattr(cv2, "TrackerCSRT_create",
                                                                      None)),
        "kcf": (getattr(legacy, "TrackerKCF_create", None), getattr(cv2, "TrackerKCF_create",
                                                                    None)),
    }
    for factory in factories[kind]:
        if factory is not None:
            return factory()
    raise RuntimeError(f"this OpenCV build has no {kind.upper()} tracker; install "
                       "opencv-contrib-python-headless")


def _check_frame(frame) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 \
            or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise ValueError(f"frame must be an H x W x 3 uint8 BGR image, got shape {shape} "
                         f"dtype {dtype}")
    return frame


class OpenCVTracker:
    """CSRT or KCF from opencv-contrib with init(frame, xywh) / track(frame) -> .bbox."""

    def __init__(self, kind: str = "csrt"):
        kind = kind.lower()
        if kind not in BASELINES:
            raise ValueError(f"unknown OpenCV baseline {kind!r}; choose from {BASELINES}")
        self.kind = kind
        self._tracker = None
        self._last_box: tuple[float, float, float, float] | None = None

    def init(self, frame: np.ndarray, bbox_xywh) -> None:
        frame = _check_frame(frame)
        box = tuple(float(v) for v in np.asarray(bbox_xywh, dtype=np.float64).ravel())
        if len(box) != 4 or not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"initial box must be finite x, y, w, h with w, h > 0, got {box}")
        self._tracker = _create(self.kind)
        self._tracker.init(frame, box)
        self._last_box = box

    def track(self, frame: np.ndarray) -> BaselineResult:
        if self._tracker is None:
            raise RuntimeError(f"{self.kind} tracker: call init(frame, box) before track(frame)")
        ok, box = self._tracker.update(_check_frame(frame))
        if ok:
            self._last_box = tuple(float(v) for v in box)
        # on failure OpenCV gives no box: keep the last one, report zero confidence
        return BaselineResult(bbox=self._last_box, confidence=1.0 if ok else 0.0)

    def reset(self) -> None:
        self._tracker = None
        self._last_box = None
