"""siamcar-tune: choose a trained network's tracker settings on validation sequences.

    siamcar-tune runs/nanocar/model_final.pth --output runs/nanocar_tune --real-clips out/realclips

Every combination of the given decoding strategies, window influences, penalty k and size
rates runs one-pass over a validation set of procedural sequences and, with ``--real-clips``,
over the real-video check set too (``scripts/get_real_clips.sh`` builds it); the combinations
are ranked by the mean of the sets' success AUCs (ties: precision). The procedural sequences
come from ``--procedural-seed`` (default 1), never from the standing benchmark's seed, so the
benchmark stays unseen. Settings chosen on procedural sequences alone do not transfer to
camera footage: give the real clips for any model meant to track real video.

Writes ``<output>/ranking.csv`` (every combination, best first) and ``<output>/best.yaml``
(the winning settings, what ``python -m siamcar_ros.training.package_model --params-file`` records
in a bundled model, and the loss threshold chosen from the winner's confidences: the highest
that leaves at most ``MAX_ON_TARGET_BELOW`` of on-target frames under it). Results per
combination are kept under ``<output>/results/<digest>/``
(the digest of the checkpoint file, so a retrained network never reuses another's results)
and reused when the command reruns on the same file.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

import numpy as np

from siamcar_ros.evaluation.metrics import (ConfidenceSummary, Summary, summarise,
                                            summarise_confidence)
from siamcar_ros.evaluation.ope import TrackerSpec, run_trackers, score_tracker
from siamcar_ros.data.procedural.benchmark import write_benchmark
from siamcar_ros.data import open_dataset
from siamcar_ros.tracking.decode import STRATEGIES
from siamcar_ros.tracking.params import TrackerParams

LOG = logging.getLogger(__name__)

BENCHMARK_SEED = 2024          # the standing benchmark's seed (siamcar-eval's default)
DEFAULT_GRID = {
    "strategy": ("reference", "coarse_to_fine"),
    "window_influence": (0.1, 0.25, 0.4, 0.55),     # the published presets span 0.1 to 0.45
    "penalty_k": (0.04, 0.1, 0.2),
    "lr": (0.35, 0.7),
}
_SHORT = {"strategy": "s", "window_influence": "wi", "penalty_k": "pk", "lr": "lr"}
# a loss threshold may put at most this share of on-target validation frames under it
MAX_ON_TARGET_BELOW = 0.03
THRESHOLD_STEPS = np.round(np.arange(0.02, 0.99, 0.01), 2)


@dataclass(frozen=True)
class Ranked:
    """One combination of settings and its score on the validation set."""

    params: dict
    summary: Summary                 # on the first validation set (procedural)
    scores: tuple = ()               # per-sequence scores over every validation set
    parts: tuple = ()                # (set name, Summary) per validation set

    @property
    def name(self) -> str:
        return candidate_name(self.params)

    @property
    def mean_auc(self) -> float:
        """The ranking score: mean success AUC over the validation sets."""
        summaries = [summary for _, summary in self.parts] or [self.summary]
        return float(np.mean([summary.success_auc for summary in summaries]))


def candidate_name(params: dict) -> str:
    """Result-folder name of one combination, e.g. ``s-reference_wi0.4_pk0.1_lr0.35``."""
    parts = []
    for key in DEFAULT_GRID:
        if key in params:
            value = params[key]
            parts.append(f"{_SHORT[key]}-{value}" if isinstance(value, str) else f"{_SHORT[key]}{value:g}")
    return "_".join(parts)


def build_grid(grid: dict[str, tuple]) -> list[dict]:
    """Every combination of the given values; each one is validated as TrackerParams."""
    unknown = sorted(set(grid) - set(DEFAULT_GRID))
    if unknown:
        raise ValueError(f"cannot tune {unknown}; tunable settings: {', '.join(DEFAULT_GRID)}")
    empty = sorted(key for key, values in grid.items() if not values)
    if empty:
        raise ValueError(f"no values given for {empty}")
    keys = list(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    for combo in combos:
        TrackerParams.from_dict(combo)          # out-of-range values fail before any run
    return combos


def validation_set(root: str | Path, seed: int, num_sequences: int, length: int,
                   size: tuple[int, int], progress: bool = True):
    """The procedural validation sequences (written under root when missing), as a dataset."""
    if seed == BENCHMARK_SEED:
        raise ValueError(f"procedural seed {seed} is the standing benchmark's; tuning on it would "
                         "make the benchmark figures meaningless; choose another seed")
    write_benchmark(root, seed, num_sequences, length, size, progress=progress)
    return open_dataset("procedural", root)


def tune(checkpoint: str | Path, dataset, combos: list[dict], results_root: str | Path,
         workers: int = 1, progress: bool = True, extra_datasets=()) -> list[Ranked]:
    """Run every combination over the dataset and ``extra_datasets`` (resuming stored
    results); best first by the mean success AUC over the sets."""
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None
    specs = [TrackerSpec("siamcar", candidate_name(combo), str(checkpoint), threads=threads,
                         params=tuple(sorted(combo.items()))) for combo in combos]
    datasets = [dataset, *extra_datasets]
    for validation in datasets:
        run_trackers(validation, specs, Path(results_root), workers=workers, progress=progress)
    ranked = []
    for combo, spec in zip(combos, specs):
        per_set = [score_tracker(validation, spec.name, Path(results_root))
                   for validation in datasets]
        parts = tuple((validation.name, summarise(scores))
                      for validation, scores in zip(datasets, per_set))
        every = tuple(score for scores in per_set for score in scores)
        ranked.append(Ranked(combo, parts[0][1], every, parts))
    ranked.sort(key=lambda item: (item.mean_auc, item.summary.precision), reverse=True)
    return ranked


def choose_lost_threshold(scores, max_on_below: float = MAX_ON_TARGET_BELOW,
                          steps=THRESHOLD_STEPS) -> ConfidenceSummary | None:
    """The highest threshold (of ``steps``) with at most ``max_on_below`` of on-target frames
    under it, and what it does on these scores; None when the scores carry no confidence."""
    chosen = None
    for threshold in steps:
        summary = summarise_confidence(scores, float(threshold))
        if summary is None or summary.on_below is None:
            return None
        if summary.on_below > max_on_below:
            break
        chosen = summary
    return chosen


def file_digest(path: str | Path, length: int = 12) -> str:
    """Leading hex digits of the file's SHA-256: names the results of one checkpoint."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def write_outputs(ranked: list[Ranked], output: str | Path, checkpoint: str | Path,
                  seed: int, num_sequences: int) -> tuple[Path, Path]:
    """ranking.csv (all, best first) and best.yaml (the winner) under output."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    ranking = output / "ranking.csv"
    with open(ranking, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        extra_sets = [name for name, _ in ranked[0].parts[1:]]
        writer.writerow([*DEFAULT_GRID, "success_auc", "precision", "frames",
                         *[f"{name}_success_auc" for name in extra_sets], "mean_success_auc"])
        for item in ranked:
            writer.writerow([item.params.get(key, "") for key in DEFAULT_GRID]
                            + [f"{item.summary.success_auc:.4f}", f"{item.summary.precision:.4f}",
                               item.summary.num_frames]
                            + [f"{summary.success_auc:.4f}" for _, summary in item.parts[1:]]
                            + [f"{item.mean_auc:.4f}"])
    best = output / "best.yaml"
    winner = ranked[0]
    record = {"tracker_params": dict(winner.params),
              "validation": {"checkpoint": str(checkpoint), "procedural_seed": int(seed),
                             "sequences": int(num_sequences),
                             "success_auc": round(float(winner.summary.success_auc), 4),
                             "precision": round(float(winner.summary.precision), 4),
                             "combinations": len(ranked)}}
    for name, summary in winner.parts[1:]:
        record["validation"][name] = {"sequences": summary.num_sequences,
                                      "success_auc": round(float(summary.success_auc), 4),
                                      "precision": round(float(summary.precision), 4)}
    confidence = choose_lost_threshold(winner.scores)
    if confidence is not None:
        record["lost_threshold"] = confidence.threshold
        record["validation"]["confidence"] = {
            "roc_auc": None if confidence.roc_auc is None else round(confidence.roc_auc, 4),
            "off_target_below": round(confidence.off_below or 0.0, 4),
            "on_target_below": round(confidence.on_below or 0.0, 4),
            "on_target_frames": confidence.on_target_frames,
            "off_target_frames": confidence.off_target_frames}
    with open(best, "w", encoding="utf-8") as stream:
        sets = " and ".join(["procedural validation sequences"]
                            + [f"the {name} set" for name, _ in winner.parts[1:]])
        stream.write(f"# Tracker settings chosen by siamcar-tune on {sets}.\n")
        yaml.safe_dump(record, stream, sort_keys=False)
    return ranking, best


def read_tuning(path: str | Path) -> tuple[dict, dict]:
    """The tracker_params (validated) and the validation record of a siamcar-tune best.yaml."""
    with open(path, encoding="utf-8") as stream:
        record = yaml.safe_load(stream)
    if not isinstance(record, dict) or not isinstance(record.get("tracker_params"), dict):
        raise ValueError(f"{path}: no 'tracker_params' mapping; expected a best.yaml from siamcar-tune")
    params = dict(record["tracker_params"])
    TrackerParams.from_dict(params)
    validation = dict(record.get("validation") or {})
    if "lost_threshold" in record:
        validation["lost_threshold"] = record["lost_threshold"]
    return params, validation


def read_best(path: str | Path) -> dict:
    """The tracker_params of a best.yaml written by siamcar-tune (validated)."""
    return read_tuning(path)[0]


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="siamcar-tune", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="trained network (.pth)")
    parser.add_argument("--output", required=True, help="folder for ranking.csv, best.yaml, results/")
    parser.add_argument("--procedural-seed", type=int, default=1,
                        help=f"validation set seed (not {BENCHMARK_SEED}, the benchmark's)")
    parser.add_argument("--procedural-sequences", type=int, default=20)
    parser.add_argument("--procedural-length", type=int, default=150)
    parser.add_argument("--real-clips", type=Path, default=None, metavar="ROOT",
                        help="the real-video check set (OTB layout, scripts/get_real_clips.sh "
                             "builds it in out/realclips): tune on it and the procedural set")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--strategy", nargs="+", choices=STRATEGIES,
                        default=list(DEFAULT_GRID["strategy"]))
    for key in ("window_influence", "penalty_k", "lr"):
        parser.add_argument("--" + key.replace("_", "-"), nargs="+", type=float,
                            default=list(DEFAULT_GRID[key]))
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if arguments.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {arguments.workers}")
        if not Path(arguments.checkpoint).is_file():
            raise FileNotFoundError(f"checkpoint file {arguments.checkpoint} does not exist")
        combos = build_grid({key: tuple(getattr(arguments, key)) for key in DEFAULT_GRID})
        output = Path(arguments.output)
        dataset = validation_set(output / "validation", arguments.procedural_seed,
                                 arguments.procedural_sequences, arguments.procedural_length,
                                 (480, 640), progress=not arguments.quiet)
        extra = ([open_dataset("realclips", arguments.real_clips)]
                 if arguments.real_clips is not None else [])
        ranked = tune(arguments.checkpoint, dataset, combos,
                      output / "results" / file_digest(arguments.checkpoint),
                      workers=arguments.workers, progress=not arguments.quiet,
                      extra_datasets=extra)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"siamcar-tune: error: {error}", file=sys.stderr)
        return 2
    ranking, best = write_outputs(ranked, arguments.output, arguments.checkpoint,
                                  arguments.procedural_seed, arguments.procedural_sequences)
    for item in ranked[:5]:
        per_set = "  ".join(f"{name} {summary.success_auc:.4f}" for name, summary in item.parts)
        print(f"{item.mean_auc:.4f}  {item.summary.precision:.4f}  {item.name}  ({per_set})")
    print(f"best of {len(ranked)}: {ranked[0].name} -> {best} (all: {ranking})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
