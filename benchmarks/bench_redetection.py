"""Cost of a frame while SEARCHING (re-detection), and of a doubtful tracking frame (with its
whole-frame check crop), as ratios to a plain tracking frame.

Sessions of the same tracker settings follow the same procedural frames, interleaved frame by
frame (so load from other processes hits all alike): one keeps TRACKING without checks (a loss
threshold of 0, so that it never searches); one
keeps TRACKING with a check on every frame (a re-acquire threshold nothing reaches, so every
frame is doubtful, and a loss threshold of 0); the others are put in SEARCHING (a loss
threshold nothing reaches, a re-acquire threshold nothing reaches) and stay there. The
session's whole step is timed.

    python benchmarks/bench_redetection.py                      # default model, 2 crops/frame
    python benchmarks/bench_redetection.py --crops 1 2 4 --threads 1 --frames 60
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.tracking import load_tracker
from siamcar_ros.tracking.session import (LossSettings, RedetectionSettings, TrackingSession,
                                          TrackState)


def median_step_ms(session: TrackingSession, frames, samples: list[float]) -> None:
    for frame in frames:
        started = time.perf_counter()
        session.step(frame)
        samples.append((time.perf_counter() - started) * 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="default", help="model file or bundled name")
    parser.add_argument("--crops", type=int, nargs="+", default=[RedetectionSettings.crops_per_frame],
                        help="search crops per frame to measure")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sequence = generate_sequence(7, args.frames + 1, (480, 640))
    frames = [sequence.frames[i] for i in range(args.frames + 1)]
    box = tuple(float(v) for v in sequence.ground_truth[0])
    tracking = TrackingSession(load_tracker(args.checkpoint, device="cpu"), LossSettings(0.0),
                               RedetectionSettings(check_interval=0))
    checking = TrackingSession(load_tracker(args.checkpoint, device="cpu"), LossSettings(0.0),
                               RedetectionSettings(True, reacquire_threshold=1.0, check_interval=1))
    searching = {}
    for crops in args.crops:
        session = TrackingSession(load_tracker(args.checkpoint, device="cpu"),
                                  LossSettings(lost_threshold=1.0, lost_patience=1),
                                  RedetectionSettings(True, reacquire_threshold=1.0,
                                                      crops_per_frame=crops))
        session.start(frames[0], box)
        session.step(frames[1])       # LOST
        session.step(frames[1])       # SEARCHING from here on
        assert session.state == TrackState.SEARCHING
        searching[crops] = session
    tracking.start(frames[0], box)
    checking.start(frames[0], box)
    samples = {"tracking": [], "checking": [], **{crops: [] for crops in searching}}
    for frame in frames[1:]:
        median_step_ms(tracking, [frame], samples["tracking"])
        median_step_ms(checking, [frame], samples["checking"])
        for crops, session in searching.items():
            median_step_ms(session, [frame], samples[crops])
    base = statistics.median(samples["tracking"])
    print(f"{args.checkpoint}, torch threads {args.threads}, {tracking.tracker.acceleration.note}; "
          f"median of {args.frames} frames (640x480)")
    print(f"  tracking step      {base:7.2f} ms   x1.00")
    value = statistics.median(samples["checking"])
    print(f"  doubtful, 1 check  {value:7.2f} ms   x{value / base:.2f} of tracking")
    for crops in searching:
        value = statistics.median(samples[crops])
        print(f"  searching, {crops:2d} crops + the local step {value:7.2f} ms   x{value / base:.2f} of tracking")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
