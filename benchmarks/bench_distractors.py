"""What distractor-aware tracking costs per frame: the bundled default tracker with it on and
with it off, taking turns frame by frame on the same frames (a look-alike crossing and a
standing-benchmark sequence, decoded once beforehand), one thread; median ms per frame of each,
the difference and the ratio, with the CPU's name.

    python benchmarks/bench_distractors.py [--frames 150] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench_models import cpu_name
from siamcar_ros.data.procedural.benchmark import benchmark_sequence_seeds
from siamcar_ros.data.procedural.lookalikes import generate_lookalike_sequence, lookalike_kinds
from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.tracking import load_tracker
from siamcar_ros.tracking.distractors import DistractorSettings


def clips(frames: int):
    """(name, frames, first box): a validation look-alike crossing and a standing sequence."""
    seed = benchmark_sequence_seeds(2027, 36)[3]
    crossing = generate_lookalike_sequence(seed, *lookalike_kinds(3), length=frames)
    standing = generate_sequence(benchmark_sequence_seeds(2024, 30)[8], length=frames)
    for name, sequence in (("look-alike crossing (validation 3)", crossing), ("standing sequence 8", standing)):
        yield name, [sequence.frames[i] for i in range(len(sequence))], tuple(sequence.ground_truth[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trackers = {"on": load_tracker(device="cpu"), "off": load_tracker(device="cpu")}
    trackers["off"].distractors.configure(DistractorSettings(enabled=False))
    print(f"CPU: {cpu_name()}, {args.threads} thread(s)")
    print("| clip | distractor-aware, ms | without, ms | difference, ms | ratio |")
    print("|---|---|---|---|---|")
    for name, frames, box in clips(args.frames):
        times = {key: [] for key in trackers}
        for tracker in trackers.values():
            tracker.init(frames[0], box)
        for frame in frames[1:]:
            for key, tracker in trackers.items():
                started = time.perf_counter()
                tracker.track(frame)
                times[key].append((time.perf_counter() - started) * 1e3)
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        print(f"| {name} | {on:.2f} | {off:.2f} | {on - off:+.2f} | {on / off:.3f} |")


if __name__ == "__main__":
    main()
