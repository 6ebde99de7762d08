"""Network time per frame with each search-branch accelerator and precision, as ratios to eager
PyTorch in fp32.

Trackers with the same seeded network, one per accelerator, track the same synthetic frames
interleaved frame by frame (so load from other processes hits all of them alike); the
tracker's own ``last_timings["network"]`` is compared. Accelerators that cannot run here
(TensorRT without CUDA) are reported as fallen back and left out of the table. Rows are
"<accelerator> <precision>": fp32 with every accelerator, then bf16 (eager and compiled) and
int8 (compiled) on the CPU.

    python benchmarks/bench_accelerator.py                          # both bundled models, resnet50
    python benchmarks/bench_accelerator.py --backbones resnet18 --frames 40 --threads 1
"""
from __future__ import annotations

import argparse
import statistics

import torch

from siamcar_ros.data.procedural.calibration import calibration_crops
from siamcar_ros.model import build_model
from siamcar_ros.tracking import SiamCARTracker, load_tracker
from siamcar_ros.tracking.accelerate import ACCELERATORS

from bench_tracker import synthetic_video


def make_tracker(backbone: str, device: str, accelerator: str, precision: str):
    if backbone in ("default", "fast"):
        return load_tracker(backbone, device=device, accelerator=accelerator, precision=precision,
                            calibration=calibration_crops)
    torch.manual_seed(0)
    return SiamCARTracker(build_model(backbone=backbone), device=device, accelerator=accelerator,
                          precision=precision, calibration=calibration_crops)


def trackers_for(backbone: str, accelerators: list[str], precisions: list[str], device: str) -> dict:
    """One tracker per backend x precision that can run here, by row label."""
    from siamcar_ros.tracking.precision import cpu_supports_bf16

    combinations = [(accelerator, "fp32") for accelerator in accelerators]
    on_cpu = device in ("auto", "cpu") and not torch.cuda.is_available()
    for precision in precisions:
        if precision == "fp32" or not on_cpu or (precision == "bf16" and not cpu_supports_bf16()):
            continue
        combinations += [("none", "bf16"), ("compile", "bf16")] if precision == "bf16" else [
            ("compile", "int8")]
    made = {}
    for accelerator, precision in combinations:
        label = f"{accelerator} {precision}"
        tracker = make_tracker(backbone, device, accelerator, precision)
        fell_back = accelerator != "none" and tracker.acceleration.kind == "none"
        if fell_back or tracker.precision != precision:
            print(f"  {backbone}: {label} not available: {tracker.acceleration.note}")
            continue
        made[label] = tracker
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=["default", "fast", "resnet50"],
                        help="bundled models (default, fast) and/or resnet50, resnet18, alexnet, mobilenetv2")
    parser.add_argument("--accelerators", nargs="+",
                        default=["none", "export", "onnxruntime", "compile", "tensorrt"],
                        choices=[a for a in ACCELERATORS if a != "auto"])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16", "int8"],
                        choices=["fp32", "bf16", "int8"],
                        help="reduced precisions to time beside fp32 (CPU only: bf16 eager and "
                             "compiled, int8 compiled)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    accelerators = ["none"] + [a for a in args.accelerators if a != "none"]
    print(f"network ms per frame (median of {args.frames}), torch threads {torch.get_num_threads()}")
    for backbone in args.backbones:
        trackers = trackers_for(backbone, accelerators, args.precisions, args.device)
        video = list(synthetic_video(args.frames + 2, 1280, 720))
        for tracker in trackers.values():
            tracker.init(video[0][0], video[0][1])
            tracker.track(video[1][0])          # warm-up
        samples = {name: [] for name in trackers}
        for frame, _ in video[2:]:
            for name, tracker in trackers.items():
                tracker.track(frame)
                samples[name].append(tracker.last_timings["network"])
        eager = statistics.median(samples["none fp32"])
        device = trackers["none fp32"].device
        for name, values in samples.items():
            median = statistics.median(values)
            print(f"  {backbone:12s} {name:17s} on {device}: {1000 * median:8.2f} ms   "
                  f"x{median / eager:.3f} of eager")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
