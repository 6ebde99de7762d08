"""How well ``CameraMotion`` (tracking/camera_motion.py) measures the camera's motion on real
footage: per real clip, its shift against a feature-tracking estimate of the background's
motion (Shi-Tomasi corners outside the target's box, pyramidal Lucas-Kanade, a RANSAC fit of a
rotation, scale and shift: the shift part), on every frame pair where that estimate is clear
(more than 20 corners, over half of them inliers); a frame where ``CameraMotion`` keeps no
measurement counts as a shift of zero. Prints the median, 90th percentile and largest
difference in image pixels, and how many pairs it measured.

    python benchmarks/camera_motion_check.py [--real-clips out/realclips]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from siamcar_ros.data import open_dataset
from siamcar_ros.tracking.camera_motion import CameraMotion


def background_motion(previous: np.ndarray, grey: np.ndarray, box) -> np.ndarray | None:
    """The background's shift from ``previous`` to ``grey`` (grey frames), corners inside the
    target's ``box`` (x, y, w, h, or None) left out; None when the estimate is not clear."""
    mask = np.full(grey.shape, 255, np.uint8)
    if box is not None:
        x, y, width, height = (int(v) for v in box)
        mask[max(0, y):y + height, max(0, x):x + width] = 0
    corners = cv2.goodFeaturesToTrack(previous, 300, 0.01, 8, mask=mask)
    if corners is None or len(corners) <= 20:
        return None
    moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, grey, corners, None)
    tracked = status.ravel() == 1
    if tracked.sum() <= 20:
        return None
    model, inliers = cv2.estimateAffinePartial2D(corners[tracked], moved[tracked], method=cv2.RANSAC)
    if model is None or inliers.mean() <= 0.5:
        return None
    return model[:, 2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-clips", type=Path, default=Path("out/realclips"))
    args = parser.parse_args(argv)
    print("| clip | pairs | measured | median px | p90 px | largest px |")
    print("|---|---|---|---|---|---|")
    for sequence in open_dataset("realclips", args.real_clips).sequences:
        camera, previous, differences, measured = CameraMotion(), None, [], 0
        for index in range(len(sequence)):
            frame = sequence.read_frame(index)
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            shift = camera.shift(frame)
            if previous is not None:
                box = sequence.ground_truth[index - 1]
                reference = background_motion(previous, grey, box if box[2] > 0 else None)
                if reference is not None:
                    differences.append(float(np.hypot(*(shift - reference))))
                    measured += int(shift.any())
            previous = grey
        values = np.array(differences)
        print(f"| {sequence.name} | {len(values)} | {measured} | {np.median(values):.2f} | "
              f"{np.percentile(values, 90):.2f} | {values.max():.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
