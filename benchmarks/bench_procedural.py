"""Speed of the procedural sequence generator (planning and rendering), as frames per second,
with reading the same frames back from JPEG files measured in the same run as the reference
(what a training loop or an evaluation would otherwise pay per frame).

    python benchmarks/bench_procedural.py [--sequences 6] [--length 150] [--size 480x640]

Target: a 150-frame 480x640 sequence generated well under a few seconds on one core.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from siamcar_ros.evaluation.cli import parse_size
from siamcar_ros.data.procedural.attributes import ATTRIBUTES
from siamcar_ros.data.procedural.benchmark import write_sequence
from siamcar_ros.data.procedural.sequence import generate_sequence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=6)
    parser.add_argument("--length", type=int, default=150)
    parser.add_argument("--size", type=parse_size, default=(480, 640))
    args = parser.parse_args()
    cv2.setNumThreads(1)
    generate_sequence(0, 2, args.size)     # load the bundled photographs once

    rows = []
    for label, attributes in (("random attributes", None), ("all attributes", ATTRIBUTES)):
        plan_s, render_s, read_s = [], [], []
        for seed in range(args.sequences):
            start = time.perf_counter()
            sequence = generate_sequence(seed, args.length, args.size, attributes)
            plan_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(sequence.frames)
            render_s.append(time.perf_counter() - start)
            with tempfile.TemporaryDirectory() as folder:
                write_sequence(sequence, Path(folder))
                start = time.perf_counter()
                for path in sorted((Path(folder) / "img").iterdir()):
                    cv2.imread(str(path))
                read_s.append(time.perf_counter() - start)
        rows.append((label, statistics.mean(plan_s), statistics.mean(render_s),
                     statistics.mean(read_s)))

    height, width = args.size
    print(f"{args.sequences} sequences x {args.length} frames of {height}x{width}, one core")
    print(f"{'attributes':<18} {'plan s/seq':>10} {'render s/seq':>12} {'gen fps':>8} "
          f"{'JPEG read fps':>13} {'gen / read':>10}")
    for label, plan, render, read in rows:
        generate_fps = args.length / (plan + render)
        read_fps = args.length / read
        print(f"{label:<18} {plan:>10.3f} {render:>12.3f} {generate_fps:>8.0f} "
              f"{read_fps:>13.0f} {generate_fps / read_fps:>10.2f}")


if __name__ == "__main__":
    main()
