"""Soak: the node in its own process tracks a stream of frames at 30 Hz for a long while; its
resident memory and thread count are sampled from /proc as it goes. Flat figures over the
second half mean nothing leaks per frame.

The stream mixes what a robot's camera does: a moving target, a stretch where the target is
covered (LOST, SEARCHING, re-acquisition), a burst of frames of another size (refused, STALE)
and a clock jump back (the buffer cleared), every few hundred frames.

    source env.sh && python benchmarks/soak_node.py --frames 3000 [--checkpoint default]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import rclpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_node_latency import (DOMAIN_ID, LARGE_IMAGES_PROFILE, BenchClient,  # noqa: E402
                                MovingTarget, start_node_process)


def process_figures(pid: int) -> tuple[float, int]:
    """(resident memory in MB, threads) of a process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024.0, int(fields["Threads"])


def frame_for(scene: MovingTarget, index: int) -> np.ndarray:
    frame = scene.frame(index)
    phase = index % 600
    if 300 <= phase < 360:                       # the target covered for 2 s
        x, y, w, h = (int(v) for v in scene.box(index))
        frame[max(y - 10, 0):y + h + 10, max(x - 10, 0):x + w + 10] = scene.background[
            max(y - 10, 0):y + h + 10, max(x - 10, 0):x + w + 10]
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--checkpoint", default="default", help="model file or bundled name")
    parser.add_argument("--sample-every", type=int, default=150, help="frames between samples")
    args = parser.parse_args(argv)
    from siamcar_ros.tracking import resolve_checkpoint

    os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(LARGE_IMAGES_PROFILE))
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    process = start_node_process(resolve_checkpoint(args.checkpoint), "soak_tracker", "reliable")
    samples, client = [], None
    try:
        client = BenchClient(context, "soak_tracker", "reliable")
        client.activate()
        scene = MovingTarget()
        stamp = 1_000 * 1_000_000_000
        client.publish_frame(scene.frame(0), stamp)
        time.sleep(0.5)
        client.publish_init(scene.box(0), stamp)
        time.sleep(1.0)
        period, next_time = 1.0 / 30.0, time.monotonic()
        odd = np.zeros((240, 320, 3), np.uint8)
        for index in range(1, args.frames + 1):
            next_time += period
            time.sleep(max(0.0, next_time - time.monotonic()))
            stamp += int(period * 1e9)
            if index % 1000 == 500:
                stamp -= 120 * 1_000_000_000         # a bag looping: the clock jumps back
            if index % 700 < 15 and index > 700:      # half a second of another resolution
                client.publish_frame(odd, stamp)
            else:
                client.publish_frame(frame_for(scene, index), stamp)
            if index % args.sample_every == 0:
                samples.append((index, *process_figures(process.pid)))
        time.sleep(1.0)
        status = client.latest_status
    finally:
        process.terminate()
        process.wait(timeout=10)
        if client is not None:
            client.executor.shutdown()
        rclpy.try_shutdown(context=context)
    print(f"{args.frames} frames at 30 Hz, {args.checkpoint} model: processed {status.processed_frames}, "
          f"dropped {status.dropped_frames}")
    print("frame   RSS MB  threads")
    for index, rss, threads in samples:
        print(f"{index:5d}  {rss:7.1f}  {threads:7d}")
    half = samples[len(samples) // 2:]
    print(f"second half: RSS {half[0][1]:.1f} -> {half[-1][1]:.1f} MB ({half[-1][1] - half[0][1]:+.1f}), "
          f"threads {half[0][2]} -> {half[-1][2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
