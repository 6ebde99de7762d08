"""siamcar-eval: one-pass evaluation of SiamCAR and OpenCV baselines on a tracking benchmark.

Examples::

    siamcar-eval                                   # standing procedural benchmark, all trackers
    siamcar-eval --dataset heldout                 # held-out benchmark (OpenCV's photographs)
    siamcar-eval --dataset longterm --trackers siamcar siamcar-lt   # long-term benchmark
    siamcar-eval --dataset lookalikes              # look-alikes crossing, passing, walking beside
    siamcar-eval --dataset otb --root /data/OTB100 --trackers siamcar csrt \
        --checkpoint model_general.pth --preset OTB100 --workers 2
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .baselines import NANOTRACK_ENV, nanotrack_configured, nanotrack_files
from .ope import (SIAMCAR_KINDS, TRACKER_KINDS, TrackerSpec, build_tracker, long_term_scores,
                  run_trackers, score_tracker)
from siamcar_ros.data import DATASET_NAMES, DatasetError, TrackingDataset, open_dataset
from siamcar_ros.tracking.decode import STRATEGIES
from siamcar_ros.tracking.session import LOSS_SETTINGS
from siamcar_ros.tracking.settings import SettingError, add_arguments, select

(_LOST_THRESHOLD,) = select(LOSS_SETTINGS, "lost_threshold")

DEFAULT_PROCEDURAL_ROOT = Path("out/procedural")
DEFAULT_HELDOUT_ROOT = Path("out/heldout")
DEFAULT_LONG_TERM_ROOT = Path("out/longterm")
DEFAULT_LOOKALIKE_ROOT = Path("out/lookalikes")
DEFAULT_RESULTS = Path("out/results")
# look-alikes: 2028 is the benchmark; 2027 (--procedural-seed 2027) the validation set used in development
STANDING_SEED, HELDOUT_SEED, LONG_TERM_SEED, LOOKALIKE_SEED = 2024, 2025, 2026, 2028
LONG_TERM_SEQUENCES = 20
LOOKALIKE_SEQUENCES = 36    # four of each encounter x similarity
# where scripts/get_heldout_photos.sh puts OpenCV's sample photographs, then Debian's opencv-doc
HELDOUT_PHOTO_DIRS = (Path("data/opencv-samples"), Path("/usr/share/doc/opencv-doc/examples/data"))


def parse_size(text: str) -> tuple[int, int]:
    """'480x640' -> (480, 640), for argparse."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be HEIGHTxWIDTH like 480x640, got {text!r}")
    return height, width


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siamcar-eval", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = parser.add_argument_group("dataset")
    data.add_argument("--dataset", choices=DATASET_NAMES, default="procedural")
    data.add_argument("--root", type=Path, default=None,
                      help=f"dataset folder (procedural, heldout: generated there when missing; "
                           f"default {DEFAULT_PROCEDURAL_ROOT}, {DEFAULT_HELDOUT_ROOT})")
    data.add_argument("--sequences", nargs="+", metavar="NAME", help="only these sequences")
    data.add_argument("--limit", type=int, default=None, help="only the first N sequences")
    data.add_argument("--procedural-seed", type=int, default=None,
                      help=f"benchmark seed (default {STANDING_SEED}; heldout {HELDOUT_SEED})")
    data.add_argument("--heldout-photos", type=Path, default=None,
                      help="OpenCV's sample photographs for --dataset heldout (default: the first "
                           f"of {', '.join(str(p) for p in HELDOUT_PHOTO_DIRS)} that exists; "
                           "scripts/get_heldout_photos.sh fetches them)")
    data.add_argument("--procedural-sequences", type=int, default=None,
                      help=f"benchmark sequences (default 30; longterm {LONG_TERM_SEQUENCES})")
    data.add_argument("--procedural-length", type=int, default=None,
                      help="frames per sequence (default 150; longterm 450)")
    data.add_argument("--procedural-size", type=parse_size, default=(480, 640), metavar="HxW")
    data.add_argument("--camera-shake", action="store_true",
                      help="lookalikes: seen through a panning, shaking camera (a hand-held or drone "
                           "camera; write it to a --root of its own)")

    trackers = parser.add_argument_group("trackers")
    trackers.add_argument("--trackers", nargs="+", choices=TRACKER_KINDS, default=None,
                          help="default: all but nanotrack, and nanotrack too when "
                               f"{' and '.join(NANOTRACK_ENV)} name its files")
    trackers.add_argument("--nanotrack-backbone", default=None,
                          help=f"NanoTrack's backbone ONNX file (default: ${NANOTRACK_ENV[0]})")
    trackers.add_argument("--nanotrack-head", default=None,
                          help=f"NanoTrack's neck/head ONNX file (default: ${NANOTRACK_ENV[1]})")
    trackers.add_argument("--checkpoint", default=None,
                          help="SiamCAR checkpoint file or bundled model name: default, fast "
                               "(default: default)")
    trackers.add_argument("--backbone", default=None, help="expected backbone of the checkpoint")
    trackers.add_argument("--strategy", choices=STRATEGIES, default=None)
    trackers.add_argument("--preset", default=None,
                          help="tracker hyper-parameter preset: OTB100, GOT10K, UAV123, LaSOT")
    trackers.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    trackers.add_argument("--accelerator", default="auto",
                          choices=("auto", "none", "export", "tensorrt", "onnxruntime", "compile"),
                          help="SiamCAR search branch (auto: ONNX Runtime on the CPU for fp32)")
    trackers.add_argument("--precision", choices=("fp32", "bf16", "int8"), default="fp32",
                          help="SiamCAR network precision on the CPU (bf16: with bfloat16 "
                               "instructions; int8: quantized search branch)")
    trackers.add_argument("--no-distractor-aware", action="store_true",
                          help="SiamCAR without the look-alike judgement (tracking/distractors.py), to compare")
    trackers.add_argument("--no-camera-motion", action="store_true",
                          help="the look-alike judgement without taking the camera's motion out "
                               "(tracking/camera_motion.py), to compare")
    trackers.add_argument("--siamcar-name", default="siamcar",
                          help="result folder and plot label of the SiamCAR run")

    run = parser.add_argument_group("run")
    run.add_argument("--workers", type=int, default=1, help="worker processes")
    run.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                     help="results root: <results>/<dataset>/<tracker>/")
    run.add_argument("--no-resume", action="store_true",
                     help="rerun sequences that already have results")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    add_arguments(run, [_LOST_THRESHOLD])   # the session's setting, for the confidence report
    return parser


def _tracker_specs(args) -> list[TrackerSpec]:
    threads = max(1, (os.cpu_count() or 1) // args.workers) if args.workers > 1 else None
    specs = []
    for kind in dict.fromkeys(args.trackers):      # keep order, drop repeats
        if kind in SIAMCAR_KINDS:
            name = args.siamcar_name + kind[len("siamcar"):]
            specs.append(TrackerSpec(kind, name, args.checkpoint, args.backbone, args.strategy,
                                     args.preset, args.device, threads, precision=args.precision,
                                     accelerator=args.accelerator,
                                     distractor_aware=not args.no_distractor_aware,
                                     camera_motion=not args.no_camera_motion))
        elif kind == "nanotrack":
            files = nanotrack_files(args.nanotrack_backbone, args.nanotrack_head)
            specs.append(TrackerSpec(kind, nanotrack_files=(str(files[0]), str(files[1]))))
        else:
            specs.append(TrackerSpec(kind))
    return specs


def _load_dataset(args) -> TrackingDataset:
    root = args.root
    if args.dataset == "procedural":
        from siamcar_ros.data.procedural.benchmark import write_benchmark
        root = root or DEFAULT_PROCEDURAL_ROOT
        seed = STANDING_SEED if args.procedural_seed is None else args.procedural_seed
        write_benchmark(root, seed, args.procedural_sequences or 30,
                        args.procedural_length or 150, args.procedural_size, progress=not args.quiet)
    elif args.dataset == "longterm":
        from siamcar_ros.data.procedural.benchmark import write_benchmark
        from siamcar_ros.data.procedural.long_term import LONG_TERM_LENGTH
        root = root or DEFAULT_LONG_TERM_ROOT
        seed = LONG_TERM_SEED if args.procedural_seed is None else args.procedural_seed
        count = LONG_TERM_SEQUENCES if args.procedural_sequences is None else args.procedural_sequences
        length = LONG_TERM_LENGTH if args.procedural_length is None else args.procedural_length
        write_benchmark(root, seed, count, length, args.procedural_size, progress=not args.quiet,
                        prefix="longterm", long_term=True)
    elif args.dataset == "lookalikes":
        from siamcar_ros.data.procedural.benchmark import write_benchmark
        root = root or DEFAULT_LOOKALIKE_ROOT
        seed = LOOKALIKE_SEED if args.procedural_seed is None else args.procedural_seed
        count = LOOKALIKE_SEQUENCES if args.procedural_sequences is None else args.procedural_sequences
        write_benchmark(root, seed, count, args.procedural_length or 150, args.procedural_size,
                        progress=not args.quiet, prefix="lookalike", lookalikes=True,
                        camera_shake=args.camera_shake)
    elif args.dataset == "heldout":
        from siamcar_ros.data.procedural.benchmark import write_benchmark
        root = root or DEFAULT_HELDOUT_ROOT
        seed = HELDOUT_SEED if args.procedural_seed is None else args.procedural_seed
        write_benchmark(root, seed, args.procedural_sequences or 30, args.procedural_length or 150,
                        args.procedural_size, progress=not args.quiet,
                        photos=str(heldout_photo_dir(args.heldout_photos)), prefix="heldout")
    elif root is None:
        raise DatasetError(f"--root is required for --dataset {args.dataset}")
    dataset = open_dataset(args.dataset, root)
    if args.sequences:
        unknown = sorted(set(args.sequences) - {s.name for s in dataset})
        if unknown:
            raise DatasetError(f"{root}: no sequence(s) {unknown} in {args.dataset}")
        dataset.sequences = [s for s in dataset if s.name in set(args.sequences)]
    if args.limit is not None:
        dataset.sequences = dataset.sequences[:args.limit]
    return dataset


def heldout_photo_dir(requested: Path | None) -> Path:
    """The directory of OpenCV's sample photographs: as given, else the first default found."""
    if requested is not None:
        return requested
    for candidate in HELDOUT_PHOTO_DIRS:
        if candidate.is_dir():
            return candidate
    raise DatasetError("the held-out benchmark needs OpenCV's sample photographs: run "
                       "scripts/get_heldout_photos.sh (or install Debian's opencv-doc), or give "
                       "--heldout-photos DIR")


def _check_args(parser: argparse.ArgumentParser, args) -> None:
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    try:
        _LOST_THRESHOLD.check(args.lost_threshold, "--lost-threshold")
    except SettingError as error:
        parser.error(str(error))
    nanotrack_options = [args.nanotrack_backbone, args.nanotrack_head]
    if "nanotrack" not in args.trackers and any(o is not None for o in nanotrack_options):
        parser.error("--nanotrack-backbone/--nanotrack-head need 'nanotrack' in --trackers")
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")
    siamcar_options = [args.checkpoint, args.backbone, args.strategy, args.preset]
    if not set(SIAMCAR_KINDS) & set(args.trackers) and any(o is not None for o in siamcar_options):
        parser.error("--checkpoint/--backbone/--strategy/--preset need 'siamcar' or 'siamcar-lt' "
                     "in --trackers")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.trackers is None:
        args.trackers = [kind for kind in TRACKER_KINDS
                         if kind != "nanotrack" or nanotrack_configured()]
    _check_args(parser, args)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        dataset = _load_dataset(args)
        specs = _tracker_specs(args)
        for spec in specs:
            build_tracker(spec)      # a missing or wrong checkpoint fails here, before any run
        run_trackers(dataset, specs, args.results, workers=args.workers,
                     resume=not args.no_resume, progress=not args.quiet)
        threshold = args.lost_threshold
        return _report(dataset, specs, args.results, threshold)
    except (DatasetError, ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"siamcar-eval: error: {error}", file=sys.stderr)
        return 2


def _report(dataset: TrackingDataset, specs: list[TrackerSpec], results: Path,
            lost_threshold: float) -> int:
    from .report import build_reports, write_report

    out_dir = Path(results) / dataset.name
    if not any(s.has_full_ground_truth for s in dataset):
        print(f"{dataset.name}: no ground truth beyond the first frame; results for the "
              f"evaluation server are in {out_dir}/<tracker>/")
        return 0
    reports = build_reports({spec.name: score_tracker(dataset, spec.name, results)
                             for spec in specs}, lost_threshold)
    text = write_report(dataset.name, reports, out_dir)
    if dataset.name == "longterm":
        from .report import long_term_table
        scored = {spec.name: long_term_scores(dataset, spec.name, results) for spec in specs}
        table = long_term_table(dataset.name, {k: v for k, v in scored.items() if v is not None},
                                lost_threshold)
        text += "\n" + table
        with open(out_dir / "report.md", "a", encoding="utf-8") as stream:
            stream.write("\n" + table)
    print(text)
    print(f"report.md, report.json and plots written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
