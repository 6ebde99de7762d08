"""The default model's tracking step as it runs now, against how it ran before and against
eager PyTorch, taking turns frame by frame in one loop (so a busy machine slows them alike and
the ratios hold).

- ``default``: the whole step in one ONNX Runtime graph (BatchNorm folded), the box verifier
  in ONNX Runtime: what ``load_tracker("default")`` gives on the CPU;
- ``search-branch-only``: the previous arrangement, rebuilt here: only the search branch in
  ONNX Runtime, the correlations and the head's towers in eager PyTorch with their BatchNorm
  layers, the verifier eager;
- ``eager``: everything in eager PyTorch (``accelerator="none"``, BatchNorm folded);
- ``int8`` (with ``--int8``): ``precision="int8"``, the search branch quantized and compiled,
  the correlation and head eager;
- ``default, session step``: the default inside a ``TrackingSession``, stepped as the node
  steps it (what the node reports as ``tracker_ms``; with ``--demo`` on the procedural demo's
  sequence, to set beside the step median in ``make demo``'s summary);
- OpenCV's NanoTrack when its files are given (``SIAMCAR_NANOTRACK_BACKBONE`` and
  ``SIAMCAR_NANOTRACK_HEAD``), and CSRT.

Prints the CPU (model name, whether PyTorch may use AVX-512), the median ms per frame and the
ratio of each to the reference (NanoTrack when given, else ``search-branch-only``), and the
default's split into crop, network and the rest (decoding, confidence, verifier, look-alikes).
With ``--real-clips`` every clip of the set is played (the first 3 frames of each untimed).

    python benchmarks/bench_step.py [--real-clips out/realclips] [--frames 200] [--threads 1]
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/bench_step.py   # AVX2 only
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

import torch

from siamcar_ros.data import open_dataset
from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.evaluation.baselines import OpenCVTracker, nanotrack_configured
from siamcar_ros.model import load_checkpoint
from siamcar_ros.model.onnx_export import export_module
from siamcar_ros.tracking import BUNDLED_VERIFIER, SiamCARTracker, load_tracker, resolve_checkpoint
from siamcar_ros.tracking.accelerate import Acceleration, onnxruntime_session_options
from siamcar_ros.tracking.session import TrackingSession
from siamcar_ros.tracking.verifier import load_verifier


def cpu_description() -> str:
    name, flags = "unknown CPU", set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
    capability = os.environ.get("ATEN_CPU_CAPABILITY", "")
    isa = "AVX-512 hidden from PyTorch and oneDNN" if capability == "avx2" else (
        "AVX-512" if "avx512f" in flags else "AVX2")
    amx = ", AMX" if "amx_tile" in flags else ""
    return f"{name} ({isa}{amx}; ONNX Runtime and OpenCV choose their own kernels)"


class SearchBranchExtractor:
    """The search branch alone in ONNX Runtime (the previous default's arrangement)."""

    def __init__(self, model, size: int):
        class Branch(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, x):
                return tuple(self.model.search_features(x))

        import onnxruntime

        buffer = io.BytesIO()
        export_module(Branch().eval(), (torch.rand(1, 3, size, size) * 255,), buffer, ["search"])
        self.session = onnxruntime.InferenceSession(buffer.getvalue(), onnxruntime_session_options(),
                                                    providers=["CPUExecutionProvider"])

    def __call__(self, search):
        return [torch.from_numpy(out) for out in self.session.run(None, {"search": search.numpy()})]


def search_branch_only_tracker() -> SiamCARTracker:
    model = load_checkpoint(resolve_checkpoint("default"), device="cpu").eval()
    tracker = SiamCARTracker(model, device="cpu", accelerator="none", verifier=load_verifier(BUNDLED_VERIFIER))
    tracker.model = model           # BatchNorm layers kept, as before
    tracker.acceleration = Acceleration("onnxruntime", SearchBranchExtractor(model, int(model.search_size)),
                                        "search branch only in ONNX Runtime")
    return tracker


class SessionStep:
    """The default in a ``TrackingSession``, stepped as the node steps it (whole-frame checks and
    extra crops only within half of a 30 Hz frame period): the node's ``tracker_ms``."""

    def __init__(self, tracker):
        self.session = TrackingSession(tracker)

    def init(self, frame, box):
        self.session.start(frame, box)

    def track(self, frame):
        return self.session.step(frame, time.monotonic() + 0.5 / 30.0)


def clips(real_clips: Path | None, frames: int, demo: bool) -> list[tuple[list, tuple, str]]:
    """(frames, first box, name) of every real clip, of the procedural demo's sequence (seed 1,
    640x480), or of one 768x576 procedural sequence."""
    if demo:
        sequence = generate_sequence(seed=1, length=300, size=(480, 640))
        return [(list(sequence.frames), tuple(float(v) for v in sequence.ground_truth[0]),
                 "the procedural demo's sequence (seed 1)")]
    if real_clips is not None:
        return [([sequence.read_frame(i) for i in range(len(sequence))], tuple(sequence.initial_box),
                 sequence.name) for sequence in open_dataset("realclips", real_clips).sequences]
    sequence = generate_sequence(7, frames, (576, 768))
    return [(list(sequence.frames), tuple(float(v) for v in sequence.ground_truth[0]), "procedural seed 7")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch / ONNX Runtime / OpenCV threads")
    parser.add_argument("--real-clips", type=Path, default=None, help="a real-clip root (every clip is played)")
    parser.add_argument("--int8", action="store_true", help="also the default with precision int8")
    parser.add_argument("--demo", action="store_true",
                        help="the sequence of `make demo --source procedural`, to set the node's step "
                             "time (its summary) beside the session row")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    import cv2
    cv2.setNumThreads(args.threads)

    segments = clips(args.real_clips, args.frames, args.demo)
    trackers = {}
    if nanotrack_configured():
        trackers["nanotrack"] = OpenCVTracker("nanotrack")
    trackers["search-branch-only"] = search_branch_only_tracker()
    trackers["default"] = load_tracker("default", device="cpu")
    trackers["eager"] = load_tracker("default", device="cpu", accelerator="none")
    if args.int8:
        from siamcar_ros.data.procedural.calibration import calibration_crops

        trackers["int8"] = load_tracker("default", device="cpu", precision="int8", calibration=calibration_crops)
    trackers["csrt"] = OpenCVTracker("csrt")
    trackers["default, session step"] = SessionStep(load_tracker("default", device="cpu"))
    print(f"default: {trackers['default'].acceleration.note}")
    reference = next(iter(trackers))
    seconds: dict[str, list[float]] = {key: [] for key in trackers}
    stages: dict[str, list[float]] = {"crop": [], "network": [], "decode": []}
    for frames, box, _ in segments:
        for tracker in trackers.values():
            tracker.init(frames[0], box)
        for index, frame in enumerate(frames[1:]):
            for key, tracker in trackers.items():
                started = time.perf_counter()
                tracker.track(frame)
                if index >= 3:      # the first frames of a clip warm the caches up
                    seconds[key].append(time.perf_counter() - started)
            for stage, value in trackers["default"].last_timings.items():
                stages[stage].append(value)
    counted = len(seconds[reference])
    names = ", ".join(f"{name} {frames[0].shape[1]}x{frames[0].shape[0]}" for frames, _, name in segments)
    print(f"CPU: {cpu_description()}; {args.threads} thread(s); {counted} timed frames of {names}; "
          f"reference {reference}")
    base = statistics.median(seconds[reference])
    print("| tracker | ms per frame (median) | x reference |")
    print("|---|---|---|")
    for key, values in seconds.items():
        median = statistics.median(values)
        print(f"| {key} | {1000 * median:.2f} | {median / base:.2f} |")
    split = ", ".join(f"{stage} {1000 * statistics.median(values):.2f} ms" for stage, values in stages.items())
    print(f"default, median per stage: {split} (decode: decoding, confidence, verifier, look-alikes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
