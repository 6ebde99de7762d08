"""OpenCV's CSRT, KCF and NanoTrack (``TrackerNano``) trackers behind the same init/track
interface as SiamCARTracker.

NanoTrack needs its two ONNX files (backbone and neck/head, NanoTrack V2 as OpenCV's tracking
sample uses them): pass them as ``nanotrack_files`` or set ``SIAMCAR_NANOTRACK_BACKBONE`` and
``SIAMCAR_NANOTRACK_HEAD``. They are not shipped: they come from OpenCV's model zoo or the
NanoTrack folder of the SiamTrackers repository (``models/nanotrackv2/``, Apache-2.0).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import cv2
import numpy as np

BASELINES = ("csrt", "kcf", "nanotrack")
NANOTRACK_ENV = ("SIAMCAR_NANOTRACK_BACKBONE", "SIAMCAR_NANOTRACK_HEAD")
NANOTRACK_HINT = ("NanoTrack's ONNX files (nanotrack_backbone_sim.onnx, "
                  "nanotrack_head_sim.onnx: OpenCV's model zoo, or models/nanotrackv2/ in the "
                  "NanoTrack folder of github.com/HonglinChu/SiamTrackers)")


def nanotrack_files(backbone: str | os.PathLike | None = None,
                    head: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """The two NanoTrack ONNX files: as given, else from the environment; each must exist."""
    given = (backbone, head)
    files = []
    for value, variable, part in zip(given, NANOTRACK_ENV, ("backbone", "head")):
        value = value or os.environ.get(variable)
        if not value:
            raise FileNotFoundError(f"the nanotrack baseline needs its {part} file: give "
                                    f"--nanotrack-{part} or set {variable} ({NANOTRACK_HINT})")
        path = Path(value)
        if not path.is_file():
            raise FileNotFoundError(f"nanotrack {part} file {path} does not exist "
                                    f"({NANOTRACK_HINT})")
        files.append(path)
    return files[0], files[1]


def nanotrack_configured() -> bool:
    """True when the environment names both NanoTrack files and they exist."""
    try:
        nanotrack_files()
    except FileNotFoundError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class BaselineResult:
    """What track() returns: box (x, y, w, h); confidence 1 when OpenCV reports success."""

    bbox: tuple[float, float, float, float]
    confidence: float
    centerness: float = 0.0
    maps: dict | None = None


def _create_nanotrack(files: tuple[Path, Path]):
    params = cv2.TrackerNano_Params()
    params.backbone, params.neckhead = str(files[0]), str(files[1])
    try:
        return cv2.TrackerNano_create(params)
    except cv2.error as error:
        raise RuntimeError(f"OpenCV cannot load the NanoTrack files {files[0]} and {files[1]}: "
                           f"{str(error).strip().splitlines()[-1]}") from error


def _create(kind: str, files: tuple[Path, Path] | None = None):
    if kind == "nanotrack":
        return _create_nanotrack(files or nanotrack_files())
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
    """CSRT, KCF or NanoTrack from OpenCV with init(frame, xywh) / track(frame) -> .bbox.

    The confidence is 1 or 0 (OpenCV's success flag) for CSRT and KCF and NanoTrack's own
    tracking score for NanoTrack. ``files`` are NanoTrack's (backbone, head) ONNX files; None
    looks them up with ``nanotrack_files()`` (the environment)."""

    def __init__(self, kind: str = "csrt", files: tuple[str, str] | None = None):
        kind = kind.lower()
        if kind not in BASELINES:
            raise ValueError(f"unknown OpenCV baseline {kind!r}; choose from {BASELINES}")
        self.kind = kind
        self._files = nanotrack_files(*(files or (None, None))) if kind == "nanotrack" else None
        self._tracker = None
        self._last_box: tuple[float, float, float, float] | None = None

    def init(self, frame: np.ndarray, bbox_xywh) -> None:
        frame = _check_frame(frame)
        box = tuple(float(v) for v in np.asarray(bbox_xywh, dtype=np.float64).ravel())
        if len(box) != 4 or not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"initial box must be finite x, y, w, h with w, h > 0, got {box}")
        self._tracker = _create(self.kind, self._files)
        self._tracker.init(frame, tuple(int(round(v)) for v in box)
                           if self.kind == "nanotrack" else box)
        self._last_box = box

    def track(self, frame: np.ndarray) -> BaselineResult:
        if self._tracker is None:
            raise RuntimeError(f"{self.kind} tracker: call init(frame, box) before track(frame)")
        ok, box = self._tracker.update(_check_frame(frame))
        if ok:
            self._last_box = tuple(float(v) for v in box)
        # on failure OpenCV gives no box: keep the last one, report zero confidence
        confidence = 1.0 if ok else 0.0
        if ok and self.kind == "nanotrack":
            confidence = float(self._tracker.getTrackingScore())
        return BaselineResult(bbox=self._last_box, confidence=confidence)

    def reset(self) -> None:
        self._tracker = None
        self._last_box = None
