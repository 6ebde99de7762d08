"""Our tracker step against a reference pipeline built the way the published tracker works.

The reference pipeline (written here from the description in method.md, "Tracking") runs the
same network with the same weights, and differs in everything around it:

- crop on the host: slice the window out of the uint8 frame, pad it with the first frame's
  mean by ``cv2.copyMakeBorder``, ``cv2.resize`` it (uint8), transpose to CHW, convert to a
  float32 tensor and upload that crop to the device, every frame. The float conversion of
  the transposed array keeps its HWC memory order, so the network gets an NCHW tensor with
  channels-last strides (as in the public code); on the CPU the backbone runs measurably
  slower on that than on the contiguous NCHW crop our tracker passes;
- maps: softmax of the class logits, then ``cls``, ``cen`` and ``loc`` each copied to the
  host;
- decode: the ``reference`` strategy of :mod:`siamcar_ros.tracking.decode` (all maps
  upsampled whole to 193x193 by bicubic interpolation), then the same state update.

Ours is ``SiamCARTracker.track`` with each decoding strategy (stage times from
``last_timings``). Every frame goes through all three pipelines, in rotating order, so load
from other processes hits them alike; the figures are medians over all timed frames, and
each pipeline's frame time is quoted as a ratio to the reference measured in the same run.

    python benchmarks/bench_pipeline.py       # ResNet-50, 640x480 and 1280x720, 1 and 2 threads
    python benchmarks/bench_pipeline.py --backbone alexnet --frames 30 --threads 1
    python benchmarks/bench_pipeline.py --checkpoint models/siamcar_default.pth
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np
import torch
from tqdm import tqdm

from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.model import build_model
from siamcar_ros.model.checkpoint import load_checkpoint
from siamcar_ros.tracking import SiamCARTracker, TrackerParams
from siamcar_ros.tracking.crop import context_side, crop_window
from siamcar_ros.tracking.decode import CropGeometry, hanning_window, reference_decode
from siamcar_ros.device import select_device
from siamcar_ros.tracking.tracker import box_from_state, next_target_state

STAGES = ("crop", "network", "decode")
REFERENCE = "reference pipeline"
PIPELINES = (REFERENCE, "ours, reference decode", "ours, coarse_to_fine")


def host_crop(frame: np.ndarray, center, side: int, out_size: int, mean: np.ndarray) -> np.ndarray:
    """Window of ``side`` pixels around ``center``, mean-padded in uint8, resized to out_size."""
    window = crop_window(center, side)
    height, width = frame.shape[:2]
    left, top = max(0, -window.x0), max(0, -window.y0)
    right = max(0, window.x0 + side - width)
    bottom = max(0, window.y0 + side - height)
    inside = frame[max(window.y0, 0):min(window.y0 + side, height),
                   max(window.x0, 0):min(window.x0 + side, width)]
    if inside.size == 0:
        return np.full((out_size, out_size, 3), mean.round(), dtype=np.uint8)
    if left or top or right or bottom:
        inside = cv2.copyMakeBorder(inside, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                    value=[float(v) for v in mean])
    if side != out_size:
        inside = cv2.resize(inside, (out_size, out_size))
    return inside


class ReferencePipeline:
    """Host crop + per-frame crop upload, three map copies, whole-map decoding."""

    def __init__(self, model: torch.nn.Module, params: TrackerParams, device: torch.device):
        self.model, self.params, self.device = model, params, device
        self.geometry = CropGeometry(model.template_size, model.search_size, model.score_size,
                                     model.stride)
        self.window = hanning_window(model.score_size)
        self.last_timings: dict[str, float] = {}

    def _upload(self, crop: np.ndarray) -> torch.Tensor:
        chw = crop.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        return torch.from_numpy(chw).to(self.device)

    def init(self, frame: np.ndarray, box) -> None:
        x, y, width, height = box
        self.center, self.size = (x + (width - 1) / 2, y + (height - 1) / 2), (width, height)
        self.frame_size = (frame.shape[1], frame.shape[0])
        self.mean = frame.reshape(-1, 3).mean(axis=0)
        side = round(context_side(self.size, self.params.context_amount))
        with torch.no_grad():
            self.template_features = self.model.template(self._upload(
                host_crop(frame, self.center, side, self.geometry.template_size, self.mean)))

    def track(self, frame: np.ndarray):
        started = time.perf_counter()
        s_z = context_side(self.size, self.params.context_amount)
        scale_z = self.geometry.template_size / s_z
        side = round(s_z * self.geometry.search_size / self.geometry.template_size)
        crop = host_crop(frame, self.center, side, self.geometry.search_size, self.mean)
        search = self._upload(crop)
        cropped = time.perf_counter()
        with torch.no_grad():
            outputs = self.model.track(search, self.template_features)
            cls = torch.softmax(outputs["cls"], dim=1)[0, 1].cpu().numpy()
            cen = outputs["cen"][0, 0].cpu().numpy()
            loc = outputs["loc"][0].cpu().numpy()
        networked = time.perf_counter()
        previous = (self.size[0] * scale_z, self.size[1] * scale_z)
        decoded = reference_decode(cls, cen, loc, previous, self.params.penalty_k,
                                   self.params.window_influence, self.params.lr, self.geometry,
                                   window=self.window, scale_z=scale_z)
        self.center, self.size = next_target_state(self.center, self.size, decoded, scale_z,
                                                   self.frame_size)
        finished = time.perf_counter()
        self.last_timings = {"crop": cropped - started, "network": networked - cropped,
                             "decode": finished - networked}
        return box_from_state(self.center, self.size)


class OurPipeline:
    def __init__(self, model, params: TrackerParams, device):
        self.tracker = SiamCARTracker(model, params, device=device)

    def init(self, frame, box) -> None:
        self.tracker.init(frame, box)

    def track(self, frame):
        box = self.tracker.track(frame).bbox
        self.last_timings = dict(self.tracker.last_timings)
        return box


def make_model(args) -> torch.nn.Module:
    if args.checkpoint:
        return load_checkpoint(args.checkpoint)
    torch.manual_seed(0)  # seeded random weights: the cost does not depend on their values
    return build_model(args.backbone).eval()


def measure(model, size, frames: int, device, params: TrackerParams) -> dict[str, dict[str, list]]:
    """Per-stage and per-frame seconds of each pipeline on one procedural sequence."""
    sequence = generate_sequence(seed=7, length=frames + 2, size=size)
    video = [sequence.frames[i] for i in range(len(sequence))]
    first_box = tuple(float(v) for v in sequence.ground_truth[0])
    pipelines = {
        REFERENCE: ReferencePipeline(model, params.replace(strategy="reference"), device),
        PIPELINES[1]: OurPipeline(model, params.replace(strategy="reference"), device),
        PIPELINES[2]: OurPipeline(model, params.replace(strategy="coarse_to_fine"), device),
    }
    for pipeline in pipelines.values():
        pipeline.init(video[0], first_box)
    samples = {name: {stage: [] for stage in (*STAGES, "frame")} for name in pipelines}
    names = list(pipelines)
    for index, frame in enumerate(tqdm(video[1:], desc=f"{size[1]}x{size[0]}", unit="frame",
                                       leave=False)):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            pipelines[name].track(frame)
            elapsed = time.perf_counter() - started
            if index == 0:
                continue  # warm-up frame: first-call allocations
            samples[name]["frame"].append(elapsed)
            for stage in STAGES:
                samples[name][stage].append(pipelines[name].last_timings[stage])
    return samples


def report(samples, size, threads: int) -> None:
    medians = {name: {stage: 1e3 * statistics.median(values) for stage, values in stages.items()}
               for name, stages in samples.items()}
    reference = medians[REFERENCE]
    count = len(samples[REFERENCE]["frame"])
    print(f"\n{size[1]}x{size[0]} frames, {threads} torch thread(s), median of {count} frames")
    header = (f"{'pipeline':<24}{'frame ms':>10}{'crop ms':>9}{'network ms':>11}{'decode ms':>10}"
              f"{'frame x':>9}{'crop x':>8}{'decode x':>9}{'crop+decode x':>14}")
    print(header)
    print("-" * len(header))
    for name, m in medians.items():
        overhead = (m["crop"] + m["decode"]) / (reference["crop"] + reference["decode"])
        print(f"{name:<24}{m['frame']:10.1f}{m['crop']:9.2f}{m['network']:11.1f}{m['decode']:10.2f}"
              f"{m['frame'] / reference['frame']:9.3f}{m['crop'] / reference['crop']:8.3f}"
              f"{m['decode'] / reference['decode']:9.3f}{overhead:14.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet50",
                        help="seeded random network of this backbone (ignored with --checkpoint)")
    parser.add_argument("--checkpoint", default=None, help="time this checkpoint instead")
    parser.add_argument("--sizes", nargs="+", default=["640x480", "1280x720"],
                        help="frame sizes WIDTHxHEIGHT")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                        help="torch/OpenCV threads")
    parser.add_argument("--frames", type=int, default=20,
                        help="timed frames per size and thread count")
    parser.add_argument("--preset", default="OTB100", help="tracker hyper-parameter preset")
    parser.add_argument("--device", default="cpu", help='"cpu", "cuda", "cuda:N" or "auto"')
    args = parser.parse_args(argv)
    try:
        sizes = [tuple(int(v) for v in reversed(text.lower().split("x"))) for text in args.sizes]
    except ValueError:
        parser.error(f"--sizes takes WIDTHxHEIGHT values such as 640x480, got {args.sizes}")
    device = select_device(args.device)
    model = make_model(args).to(device)
    params = TrackerParams.from_preset(args.preset)
    # Other processes may share the cores: say how busy the machine was.
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average (1, 5, 15 min) before the run: {load}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        cv2.setNumThreads(threads)
        for size in sizes:
            report(measure(model, size, args.frames, device, params), size, threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
