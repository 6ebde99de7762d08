"""Per-frame tracker latency on this machine, split into crop / network / decode.

For each backbone and decoding strategy: a seeded network (the weights do not change the
cost), a synthetic video with a moving target, and the tracker's own stage timings
(``SiamCARTracker.last_timings``). Prints median milliseconds per stage and the crop's and
decode's share of the frame time; the project's target is < 5 % each for ResNet-50 on the CPU.

    python benchmarks/bench_tracker.py                      # all backbones, both strategies
    python benchmarks/bench_tracker.py --backbones resnet50 --frames 10 --device cpu
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
from tqdm import tqdm

from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, TrackerParams
from siamcar_ros.tracking.decode import STRATEGIES

BACKBONES = ("resnet50", "resnet18", "alexnet", "mobilenetv2")
SHARE_TARGET = 0.05


def synthetic_video(frames: int, width: int, height: int, seed: int = 0):
    """A textured background with a bright box drifting right and down; yields (frame, box)."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    box_w, box_h = width // 8, height // 6
    for step in range(frames):
        frame = background.copy()
        x, y = width // 3 + 3 * step, height // 3 + 2 * step
        frame[y:y + box_h, x:x + box_w] = (30, 220, 250)
        yield frame, (float(x), float(y), float(box_w), float(box_h))


def measure(tracker: SiamCARTracker, frames: int, width: int, height: int) -> dict[str, float]:
    """Median seconds per stage over ``frames`` tracked frames (after one warm-up frame)."""
    video = list(synthetic_video(frames + 2, width, height))
    tracker.init(video[0][0], video[0][1])
    tracker.track(video[1][0])  # warm-up: first-call allocations
    samples = {"crop": [], "network": [], "decode": []}
    for frame, _ in video[2:]:
        tracker.track(frame)
        for stage, seconds in tracker.last_timings.items():
            samples[stage].append(seconds)
    medians = {stage: statistics.median(values) for stage, values in samples.items()}
    medians["frame"] = sum(medians.values())
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=BACKBONES)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--frames", type=int, default=8, help="timed frames per run")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    rows = []
    runs = [(b, s) for b in args.backbones for s in args.strategies]
    for backbone, strategy in tqdm(runs, desc="benchmark", unit="run"):
        torch.manual_seed(0)
        tracker = SiamCARTracker(build_model(backbone), TrackerParams(strategy=strategy), device=args.device)
        rows.append((backbone, strategy, measure(tracker, args.frames, args.width, args.height)))

    print(f"\nper-frame latency, median of {args.frames} frames, {args.width}x{args.height} frames, "
          f"device {tracker.device}, {torch.get_num_threads()} torch threads")
    header = (f"{'backbone':<12} {'strategy':<15} {'frame ms':>9} {'crop ms':>8} {'network ms':>10} "
              f"{'decode ms':>9} {'crop %':>7} {'decode %':>8} {'fps':>6}")
    print(header)
    print("-" * len(header))
    for backbone, strategy, t in rows:
        print(f"{backbone:<12} {strategy:<15} {1e3 * t['frame']:9.1f} {1e3 * t['crop']:8.2f} "
              f"{1e3 * t['network']:10.1f} {1e3 * t['decode']:9.2f} {100 * t['crop'] / t['frame']:6.2f}% "
              f"{100 * t['decode'] / t['frame']:7.2f}% {1 / t['frame']:6.2f}")
    checked = [(s, t) for b, s, t in rows if b == "resnet50"]
    for strategy, t in checked:
        crop_share, decode_share = t["crop"] / t["frame"], t["decode"] / t["frame"]
        verdict = "PASS" if crop_share < SHARE_TARGET and decode_share < SHARE_TARGET else "FAIL"
        print(f"resnet50 {strategy}: crop {100 * crop_share:.2f}%, decode {100 * decode_share:.2f}% "
              f"of the frame (target < {100 * SHARE_TARGET:.0f}% each): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
