"""The tracker's own sensitivity: the fp32 tracker with every crop perturbed by uniform noise of
+-``--amplitude`` grey levels, its boxes written as a siamcar-eval run, so that
``precision_fidelity.py`` can compare them with the unperturbed run as it does a reduced
precision's. A precision whose boxes follow fp32 as closely as the perturbed run's does no
worse than noise far below uint8 rounding.

    python benchmarks/noise_floor.py --amplitude 0.05 --part 0 --parts 2 &
    python benchmarks/noise_floor.py --amplitude 0.05 --part 1 --parts 2
    python benchmarks/precision_fidelity.py --reference siamcar --runs default-noise0.05
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from siamcar_ros.data import open_dataset
from siamcar_ros.evaluation.ope import store_for, track_sequence
from siamcar_ros.tracking import load_tracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amplitude", type=float, default=0.05, help="noise amplitude, grey levels")
    parser.add_argument("--checkpoint", default="default")
    parser.add_argument("--dataset", default="procedural")
    parser.add_argument("--root", default="out/procedural")
    parser.add_argument("--results", default="out/results")
    parser.add_argument("--part", type=int, default=0, help="this process's share of the sequences")
    parser.add_argument("--parts", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    dataset = open_dataset(args.dataset, Path(args.root))
    store = store_for(dataset, Path(args.results))
    tracker = load_tracker(args.checkpoint, device="cpu")
    crop = tracker._crop
    rng = np.random.default_rng(args.part)

    def perturbed(*positional, **named):
        image = crop(*positional, **named)
        noise = rng.uniform(-args.amplitude, args.amplitude, tuple(image.shape)).astype(np.float32)
        return image + torch.from_numpy(noise).to(image.device)

    tracker._crop = perturbed
    name = f"{args.checkpoint}-noise{args.amplitude:g}"
    for index, sequence in enumerate(dataset):
        if index % args.parts == args.part:
            boxes, seconds, confidences = track_sequence(tracker, sequence)
            store.write(name, sequence.name, boxes, seconds, confidences)
    print(f"wrote {store.tracker_dir(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
