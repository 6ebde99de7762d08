"""``siamcar-track``: track one target through a video file, an image folder or a camera.

Writes one ``x,y,w,h`` line per frame (the first line is the initial box, the layout the
benchmark toolkits read), optionally the state and confidence per frame and an overlay video,
and prints frames/s at the end. The tracker runs in a ``TrackingSession``: a lost target is
reported (and, with ``--redetection``, searched for over the whole frame and re-acquired).
``--precision bf16`` and ``int8`` are set up on procedural calibration crops
(``siamcar_ros.data.procedural.calibration``).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from siamcar_ros.tracking.accelerate import ACCELERATORS
from siamcar_ros.tracking.decode import STRATEGIES
from siamcar_ros.tracking.precision import PRECISIONS
from siamcar_ros.tracking.params import PRESETS, TRACKER_SETTINGS
from siamcar_ros.tracking.session import (LOSS_SETTINGS, REDETECTION_SETTINGS, TrackingSession, TrackState,
                                          session_settings)
from siamcar_ros.tracking.settings import add_arguments, select

__all__ = ["main", "parse_box"]

LOGGER = logging.getLogger("siamcar_ros.deploy.track")


def parse_box(text: str) -> tuple[float, float, float, float]:
    """'x,y,w,h' -> four floats (w, h > 0)."""
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
        raise argparse.ArgumentTypeError(f"--init expects x,y,w,h with w, h > 0, got {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siamcar-track",
        description="Track one target with SiamCAR through a video file, an image folder or a camera.")
    parser.add_argument("source", help="video file, folder of images, or camera index (e.g. 0)")
    parser.add_argument("--init", type=parse_box, metavar="X,Y,W,H",
                        help="initial box in the first frame; drawn with the mouse when omitted "
                             "(needs a display)")
    parser.add_argument("--checkpoint", help="model file or bundled model name: default, fast (default: default)")
    parser.add_argument("--backbone", help="check that the checkpoint holds this backbone")
    parser.add_argument("--device", default="auto", help='"auto", "cpu", "cuda" or "cuda:N"')
    parser.add_argument("--half", action="store_true", help="fp16 on CUDA")
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32",
                        help="bf16: bfloat16 on a CPU that has the instructions; int8: quantized search "
                             "branch on the CPU (default: %(default)s)")
    parser.add_argument("--accelerator", choices=ACCELERATORS, default="auto",
                        help="search branch: auto (TensorRT on CUDA when installed; on the CPU "
                             "compile for bf16/int8, else ONNX Runtime), none, export, tensorrt, "
                             "onnxruntime, compile")
    parser.add_argument("--exported", metavar="PREFIX",
                        help="run exported network files <PREFIX>_template/_search (.onnx; .engine "
                             "on CUDA) in place of the PyTorch network")
    parser.add_argument("--strategy", choices=STRATEGIES,
                        help="box decoding (default: the checkpoint's recommendation, else coarse_to_fine)")
    parser.add_argument("--preset", choices=list(PRESETS),
                        help="published hyper-parameters (default: the checkpoint's recommendation, "
                             "else 'default')")
    confidence = parser.add_argument_group("confidence")
    add_arguments(confidence, select(TRACKER_SETTINGS, "colour_weight", "verifier_weight"),
                  defaults={"colour_weight": None, "verifier_weight": None})
    loss = parser.add_argument_group("loss and re-detection (a TrackingSession runs the tracker)")
    add_arguments(loss, LOSS_SETTINGS + REDETECTION_SETTINGS, defaults={"redetection": False},
                  aliases={"search_crops_per_frame": "--search-crops"})
    parser.add_argument("--output", default="results.txt", help="x,y,w,h per frame (default: %(default)s)")
    parser.add_argument("--states-out", help="write frame,state,confidence per frame here (CSV)")
    parser.add_argument("--video-out", help="write an overlay video here (e.g. overlay.mp4)")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def select_box_with_mouse(frame: np.ndarray) -> tuple[float, float, float, float]:
    """Let the user draw the box; a clear error when there is no display or no GUI support."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise RuntimeError("no --init box given and no display to draw one on; pass --init x,y,w,h")
    title = "siamcar-track: drag the target box, ENTER to confirm"
    try:
        x, y, w, h = cv2.selectROI(title, frame, showCrosshair=True)
        cv2.destroyWindow(title)
    except cv2.error as error:
        raise RuntimeError("drawing the box needs an OpenCV build with GUI support; "
                           f"pass --init x,y,w,h instead ({error.msg.strip()})") from error
    if w <= 0 or h <= 0:
        raise RuntimeError("no box was drawn; pass --init x,y,w,h or draw a box")
    return float(x), float(y), float(w), float(h)


def draw_overlay(frame: np.ndarray, box, confidence: float | None) -> np.ndarray:
    shown = frame.copy()
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(shown, (x, y), (x + w, y + h), (0, 255, 0), 2)
    if confidence is not None:
        cv2.putText(shown, f"{confidence:.2f}", (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, (0, 255, 0), 1, cv2.LINE_AA)
    return shown


def format_box(box) -> str:
    return ",".join(f"{v:.3f}" for v in box)


def run(args: argparse.Namespace) -> int:
    from siamcar_ros.data.procedural.calibration import calibration_crops
    from siamcar_ros.tracking import load_tracker
    from siamcar_ros.tracking.sources import open_source

    source = open_source(args.source)
    frames = iter(source)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"{source.description} has no frames")
    box = args.init or select_box_with_mouse(first)
    # options left unset come from the checkpoint's recommended settings (else the defaults)
    params = {key: value for key, value in (("preset", args.preset), ("strategy", args.strategy),
                                            ("colour_weight", args.colour_weight),
                                            ("verifier_weight", args.verifier_weight))
              if value is not None}
    tracker = load_tracker(args.checkpoint, backbone=args.backbone, device=args.device,
                           half=args.half, params=params,
                           accelerator=args.accelerator, precision=args.precision,
                           calibration=calibration_crops, exported=args.exported)
    session = TrackingSession(tracker, *session_settings(args))
    session.start(first, box)
    states = ["frame,state,confidence", f"1,{TrackState.TRACKING.name},1.000"]
    writer = None
    if args.video_out:
        height, width = first.shape[:2]
        writer = cv2.VideoWriter(args.video_out, cv2.VideoWriter_fourcc(*"mp4v"), source.fps, (width, height))
        if not writer.isOpened():
            raise ValueError(f"cannot write video {args.video_out}")
        writer.write(draw_overlay(first, box, None))
    lines = [format_box(box)]
    total = source.frame_count
    if args.max_frames is not None:
        total = min(total or args.max_frames, args.max_frames)
    tracking_seconds = 0.0
    try:
        with tqdm(total=total, initial=1, unit="frame", disable=args.quiet, desc="tracking") as bar:
            for frame in frames:
                if args.max_frames is not None and len(lines) >= args.max_frames:
                    break
                started = time.perf_counter()
                result = session.step(frame)
                tracking_seconds += time.perf_counter() - started
                lines.append(format_box(result.bbox))
                states.append(f"{len(lines)},{result.state.name},{result.confidence:.3f}")
                if result.change is not None:
                    LOGGER.warning("frame %d: %s", len(lines), result.message)
                if writer is not None:
                    writer.write(draw_overlay(frame, result.bbox, result.confidence))
                bar.update(1)
    finally:
        if writer is not None:
            writer.release()
        Path(args.output).write_text("\n".join(lines) + "\n")
        if args.states_out:
            Path(args.states_out).write_text("\n".join(states) + "\n")
    tracked = len(lines) - 1
    rate = tracked / tracking_seconds if tracking_seconds > 0 else float("nan")
    print(f"{len(lines)} frames from {source.description}: {rate:.1f} frames/s on {tracker.device} "
          f"({tracker.params.strategy}); boxes in {args.output}"
          + (f", overlay in {args.video_out}" if args.video_out else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        session_settings(args)
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"siamcar-track: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
