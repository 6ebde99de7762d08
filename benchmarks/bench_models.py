"""Frame time of the bundled models against OpenCV's trackers, timed in one loop.

Each tracker follows the same clip (a procedural sequence, or a real clip with --real-clips);
the trackers take turns frame by frame, so a busy machine slows them alike and the ratios
hold. Prints the median milliseconds per tracked frame and each one's ratio to the reference
(NanoTrack when its files are given, else CSRT), with the CPU's model name.

    python benchmarks/bench_models.py                                   # default, fast, CSRT
    SIAMCAR_NANOTRACK_BACKBONE=... SIAMCAR_NANOTRACK_HEAD=... \\
        python benchmarks/bench_models.py --models default fast --threads 1
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import torch

from siamcar_ros.data import open_dataset
from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.evaluation.baselines import OpenCVTracker, nanotrack_configured
from siamcar_ros.tracking import load_tracker


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def clip(real_clips: Path | None, frames: int):
    """(frames, first box) of the first real clip, or of a 640x480 procedural sequence."""
    if real_clips is not None:
        sequence = open_dataset("realclips", real_clips).sequences[0]
        count = min(frames, len(sequence))
        return [sequence.read_frame(i) for i in range(count)], tuple(sequence.initial_box)
    sequence = generate_sequence(7, frames, (480, 640))
    return list(sequence.frames), tuple(float(v) for v in sequence.ground_truth[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["default", "fast"],
                        help="bundled model names or checkpoint files")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--threads", type=int, default=1, help="torch / OpenCV threads")
    parser.add_argument("--real-clips", type=Path, default=None)
    parser.add_argument("--no-verifier", action="store_true",
                        help="leave the box verifier out of the SiamCAR trackers")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    import cv2
    cv2.setNumThreads(args.threads)

    frames, box = clip(args.real_clips, args.frames)
    trackers = {}
    if nanotrack_configured():
        trackers["nanotrack"] = OpenCVTracker("nanotrack")
    trackers["csrt"] = OpenCVTracker("csrt")
    for model in args.models:
        trackers[model] = load_tracker(model, device="cpu",
                                       verifier=None if args.no_verifier else "auto")
    reference = next(iter(trackers))
    for tracker in trackers.values():
        tracker.init(frames[0], box)
    seconds: dict[str, list[float]] = {name: [] for name in trackers}
    for frame in frames[1:]:
        for name, tracker in trackers.items():
            started = time.perf_counter()
            tracker.track(frame)
            seconds[name].append(time.perf_counter() - started)
    print(f"CPU: {cpu_name()}; {args.threads} thread(s); {len(frames) - 1} frames of "
          f"{frames[0].shape[1]}x{frames[0].shape[0]}; reference {reference}")
    base = statistics.median(seconds[reference][5:])
    print("| tracker | ms per frame (median) | x reference |")
    print("|---|---|---|")
    for name, values in seconds.items():
        median = statistics.median(values[5:])
        print(f"| {name} | {1000 * median:.1f} | {median / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
