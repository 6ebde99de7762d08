"""What the tracker tests share: a short procedural clip and the boxes a tracker gives on it."""
import numpy as np

from siamcar_ros.data.procedural import generate_sequence


def procedural_clip(length: int, seed: int = 5, size: tuple[int, int] = (240, 320)):
    """Frames of a generated sequence and its first ground-truth box (x, y, w, h)."""
    sequence = generate_sequence(seed, length, size)
    return [sequence.frames[i] for i in range(length)], tuple(float(v) for v in sequence.ground_truth[0])


def track_boxes(tracker, frames, box) -> np.ndarray:
    """init on the first frame, then the tracked boxes of the others."""
    tracker.init(frames[0], box)
    return np.array([tracker.track(frame).bbox for frame in frames[1:]])
