"""The demo behind `make demo`: the tracking node on real footage (or a procedural sequence)
played as a camera."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .client import ROOT, DemoClient, node_command, play, stop_process
from .outputs import write_outputs


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(prog="siamcar-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=("real", "procedural"), default="real",
                        help="real: a shot of the real-clip set (a cyclist hidden by passing vehicles); "
                             "procedural: a generated sequence")
    parser.add_argument("--clip", default="bikes_shot3_cyclist", help="the real-clip shot (--source real)")
    parser.add_argument("--seed", type=int, default=1,
                        help="procedural sequence seed (--source procedural; 1: rotation, blur, shake)")
    parser.add_argument("--frames", type=int, default=300, help="procedural sequence length (at 30 Hz)")
    parser.add_argument("--rate", type=float, default=30.0, help="camera rate, frames/s")
    parser.add_argument("--checkpoint", default="",
                        help="model file or bundled model name (default, fast); default: the default model")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo")
    parser.add_argument("--start-with", choices=("auto", "launch", "executable"), default="auto",
                        help="how to start the node (auto: ros2 launch when available)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_arguments(argv)
    from siamcar_ros.data.procedural.sequence import generate_sequence
    from siamcar_ros.tracking import default_checkpoint_path

    if not args.checkpoint and not default_checkpoint_path().is_file():
        print(f"demo: the bundled default model {default_checkpoint_path()} is missing; "
              "pass --checkpoint <file>", file=sys.stderr)
        return 2
    os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(ROOT / "config" / "fastdds_large_images.xml"))
    if args.source == "real":
        from .footage import load_footage

        try:
            sequence = load_footage(args.clip)
        except (FileNotFoundError, ValueError) as error:
            print(f"demo: {error}", file=sys.stderr)
            return 2
        print(f"real footage: {sequence.name}, {len(sequence)} frames: {sequence.description}")
    else:
        sequence = generate_sequence(seed=args.seed, length=args.frames, size=(480, 640))
    command, autostarts = node_command(args)
    print("starting the node:", " ".join(command))
    process = subprocess.Popen(command, start_new_session=True)
    client = None
    try:
        client = DemoClient()
        if args.source == "real":   # uncalibrated footage: a nominal pinhole camera, so bearings show
            from .footage import nominal_camera_info_fields

            height, width = sequence.frames[0].shape[:2]
            client.camera_info_fields = nominal_camera_info_fields(width, height)
        client.wait_until_active(autostarts, process)
        stamps, elapsed = play(client, sequence, args.rate)
        summary = write_outputs(args, sequence, stamps, client, elapsed)
    finally:
        if client is not None:
            client.close()
        stop_process(process)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
