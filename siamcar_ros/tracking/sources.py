"""Frame sources for the tracking command: a video file, a folder of images, or a camera."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

__all__ = ["FrameSource", "open_source", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _natural_key(path: Path):
    """'img2.jpg' before 'img10.jpg'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


@dataclass
class FrameSource:
    """Frames in order, with what is known up front: a name, frame count (None for cameras), fps."""

    description: str
    frame_count: int | None
    fps: float
    _frames: Iterator[np.ndarray]

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._frames


def _folder_frames(paths: list[Path]) -> Iterator[np.ndarray]:
    for path in paths:
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise ValueError(f"cannot read image {path}")
        yield frame


def _capture_frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def open_source(spec: str, default_fps: float = 30.0) -> FrameSource:
    """``spec``: a video file, a folder of images (sorted naturally by name) or a camera index."""
    path = Path(spec)
    if path.is_dir():
        images = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
        if not images:
            raise ValueError(f"folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return FrameSource(f"{len(images)} images in {path}", len(images), default_fps,
                           _folder_frames(images))
    if path.is_file():
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise ValueError(f"cannot open video file {path}")
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = capture.get(cv2.CAP_PROP_FPS) or default_fps
        return FrameSource(f"video {path}", count if count > 0 else None, fps, _capture_frames(capture))
    if spec.strip().isdigit():
        index = int(spec)
        capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            raise ValueError(f"camera {index} could not be opened")
        fps = capture.get(cv2.CAP_PROP_FPS) or default_fps
        return FrameSource(f"camera {index}", None, fps, _capture_frames(capture))
    raise ValueError(f"source {spec!r} is neither a video file, an image folder nor a camera index")
