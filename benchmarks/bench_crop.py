"""What the search crop costs on the CPU as the target grows: ``crop_and_resize_host`` (the
tracker's crop) against the previous host crop (rebuilt here: windows up to 3x the output
padded by OpenCV, larger ones gathered pixel by pixel in numpy) and the authors' uint8 crop,
taking turns in one loop on a camera-sized frame; median ms per crop, the ratio to the previous
crop and the largest difference from the crop's definition (the whole window padded with the
channel mean as float, then ``cv2.resize`` INTER_LINEAR).

A person close to a follow-me robot fills much of the frame, and the search window
(``context_side * 255 / 127``) is then several times the frame: that is where the crop's cost
matters.

    python benchmarks/bench_crop.py [--size 720x1280] [--repeats 60]
"""
from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from bench_models import cpu_name
import torch

from siamcar_ros.tracking.crop import (_linear_samples, _padded_resize, authors_crop, context_side,
                                       crop_and_resize_host, crop_window)

SEARCH_SIZE = 255


def previous(frame: np.ndarray, window, out_size: int, mean: np.ndarray) -> np.ndarray:
    """The host crop before this round."""
    mean = np.asarray(mean, np.float32)
    if window.side <= 3 * out_size:
        return _padded_resize(frame, window, out_size, mean)
    height, width = frame.shape[:2]
    ys = [t.numpy() for t in _linear_samples(window.y0, window.side, out_size, height, torch.device("cpu"))]
    xs = [t.numpy() for t in _linear_samples(window.x0, window.side, out_size, width, torch.device("cpu"))]
    patch = frame.take(np.concatenate([ys[0], ys[1]]), axis=0).take(np.concatenate([xs[0], xs[1]]), axis=1)
    patch = patch.astype(np.float32)
    patch[~np.concatenate([ys[3], ys[4]])] = mean
    patch[:, ~np.concatenate([xs[3], xs[4]])] = mean
    rows = patch[:out_size] + (patch[out_size:] - patch[:out_size]) * ys[2][:, None, None]
    return rows[:, :out_size] + (rows[:, out_size:] - rows[:, :out_size]) * xs[2][None, :, None]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="720x1280", help="frame height x width")
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    height, width = (int(v) for v in args.size.lower().split("x"))
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (5, 5), 0)
    mean = frame.reshape(-1, 3).mean(axis=0)
    torch.set_num_threads(1)
    crops = {"ours": crop_and_resize_host, "previous": previous, "authors (uint8)": authors_crop}
    print(f"CPU: {cpu_name()}; one thread; {width}x{height} frame; search crop {SEARCH_SIZE}x{SEARCH_SIZE}")
    print("| target (w x h) | window side | " + " | ".join(f"{name} ms" for name in crops)
          + " | ours / previous | max difference |")
    print("|---|---|" + "---|" * (len(crops) + 2))
    for share in (0.1, 0.2, 0.35, 0.5, 0.6, 0.7, 0.9):
        size = (share * height * 0.5, share * height)       # a standing person, half as wide as tall
        side = int(round(context_side(size, 0.5) * SEARCH_SIZE / 127))
        window = crop_window((width * 0.6, height * 0.55), side)
        seconds: dict[str, list[float]] = {name: [] for name in crops}
        for _ in range(args.repeats):
            for name, crop in crops.items():
                started = time.perf_counter()
                crop(frame, window, SEARCH_SIZE, mean)
                seconds[name].append(time.perf_counter() - started)
        medians = {name: 1000 * statistics.median(values) for name, values in seconds.items()}
        # the whole window padded with the mean and resized by OpenCV: the crop's definition
        definition = _padded_resize(frame, window, SEARCH_SIZE, np.asarray(mean, np.float32))
        difference = float(np.abs(crop_and_resize_host(frame, window, SEARCH_SIZE, mean) - definition).max())
        print(f"| {size[0]:.0f} x {size[1]:.0f} | {side} | " + " | ".join(f"{medians[name]:.2f}" for name in crops)
              + f" | {medians['ours'] / medians['previous']:.2f} | {difference:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
