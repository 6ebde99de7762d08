"""Network time per frame with each search-branch accelerator and precision, as ratios to eager
PyTorch in fp32.

Trackers with the same seeded network, one per accelerator, track the same synthetic frames
interleaved frame by frame (so load from other processes hits all of them alike); the
tracker's own ``last_timings["network"]`` is compared. Accelerators that cannot run here
(TensorRT without CUDA) are reported as fallen back and left out of the table.

    python benchmarks/bench_accelerator.py                          # both bundled models, resnet50
    python benchmarks/bench_accelerator.py --backbones resnet18 --frames 40 --threads 1
"""
from __future__ import annotations

import argparse
import statistics

import torch

from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, load_tracker
from siamcar_ros.tracking.accelerate import ACCELERATORS

from bench_tracker import synthetic_video


def trackers_for(backbone: str, accelerators: list[str], device: str, bf16: bool = True) -> dict:
    made = {}
    for accelerator in accelerators:
        if backbone in ("default", "fast"):
            tracker = load_tracker(backbone, device=device, accelerator=accelerator)
        else:
            torch.manual_seed(0)
            tracker = SiamCARTracker(build_model(backbone=backbone), device=device,
                                     accelerator=accelerator)
        if accelerator != "none" and tracker.acceleration.kind == "none":
            print(f"  {backbone}: {accelerator} not available: {tracker.acceleration.note}")
            continue
        made[accelerator] = tracker
    from siamcar_ros.tracking.device import cpu_supports_bf16
    if bf16 and device in ("auto", "cpu") and cpu_supports_bf16():
        if backbone in ("default", "fast"):
            made["bf16 eager"] = load_tracker(backbone, device="cpu", precision="bf16")
        else:
            torch.manual_seed(0)
            made["bf16 eager"] = SiamCARTracker(build_model(backbone=backbone), device="cpu",
                                                precision="bf16")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=["default", "fast", "resnet50"],
                        help="bundled models (default, fast) and/or resnet50, resnet18, alexnet, mobilenetv2")
    parser.add_argument("--accelerators", nargs="+", default=["none", "export", "onnxruntime", "tensorrt"],
                        choices=[a for a in ACCELERATORS if a != "auto"])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--no-bf16", action="store_true", help="leave out the bf16 row")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    accelerators = ["none"] + [a for a in args.accelerators if a != "none"]
    print(f"network ms per frame (median of {args.frames}), torch threads {torch.get_num_threads()}")
    for backbone in args.backbones:
        trackers = trackers_for(backbone, accelerators, args.device, not args.no_bf16)
        video = list(synthetic_video(args.frames + 2, 1280, 720))
        for tracker in trackers.values():
            tracker.init(video[0][0], video[0][1])
            tracker.track(video[1][0])          # warm-up
        samples = {name: [] for name in trackers}
        for frame, _ in video[2:]:
            for name, tracker in trackers.items():
                tracker.track(frame)
                samples[name].append(tracker.last_timings["network"])
        eager = statistics.median(samples["none"])
        device = trackers["none"].device
        for name, values in samples.items():
            median = statistics.median(values)
            print(f"  {backbone:12s} {name:11s} on {device}: {1000 * median:8.2f} ms   "
                  f"x{median / eager:.3f} of eager")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
