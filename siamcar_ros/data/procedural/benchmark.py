"""Benchmarks on disk: seeds, manifest, sequences in the OTB layout (kept when already complete)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np

from .long_term import generate_long_term_sequence
from .lookalikes import generate_lookalike_sequence, lookalike_kinds
from .photos import HELDOUT_PHOTOS, PHOTO_POOLS
from .sequence import ProceduralSequence, generate_sequence

LOG = logging.getLogger(__name__)

BENCHMARK_SEED_BASE = 1_000_000_000
GENERATOR_VERSION = 2


def benchmark_sequence_seeds(seed: int = 2024, num_sequences: int = 30) -> list[int]:
    """Seeds of the benchmark's sequences (all >= BENCHMARK_SEED_BASE)."""
    return [BENCHMARK_SEED_BASE + 1000 * int(seed) + k for k in range(num_sequences)]


def benchmark_manifest(seed: int, num_sequences: int, length: int,
                       size: tuple[int, int], photos: str = "standard") -> dict:
    manifest = {"generator_version": GENERATOR_VERSION, "seed": int(seed),
                "num_sequences": int(num_sequences), "length": int(length),
                "size": [int(size[0]), int(size[1])]}
    if photos != "standard":
        # a directory pool is recorded by its file names, not its path
        manifest["photos"] = photos if photos in PHOTO_POOLS else list(HELDOUT_PHOTOS)
    return manifest


def write_sequence(sequence: ProceduralSequence, directory: Path, jpeg_quality: int = 95) -> None:
    """Write one sequence in the OTB layout plus attributes.txt and absence.label."""
    image_dir = Path(directory) / "img"
    image_dir.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(sequence.frames):
        path = image_dir / f"{i + 1:04d}.jpg"
        if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
            raise OSError(f"could not write {path}")
    np.savetxt(Path(directory) / "groundtruth_rect.txt", sequence.ground_truth, fmt="%.4f",
               delimiter=",")
    np.savetxt(Path(directory) / "absence.label", sequence.absent.astype(int), fmt="%d")
    (Path(directory) / "attributes.txt").write_text("".join(f"{a}\n" for a in sequence.attributes))


def write_benchmark(root: str | Path, seed: int = 2024, num_sequences: int = 30,
                    length: int = 150, size: tuple[int, int] = (480, 640),
                    progress: bool = True, photos: str = "standard",
                    prefix: str = "proc", long_term: bool = False, lookalikes: bool = False,
                    camera_shake: bool = False) -> list[str]:
    """Write (or keep, when already complete for these settings) the procedural benchmark.

    Layout: ``<root>/<name>/img/0001.jpg``, ``groundtruth_rect.txt`` (comma separated x,y,w,h),
    ``absence.label`` and ``attributes.txt``; ``<root>/benchmark.json`` records the settings
    and ``<root>/list.txt`` the sequence names. Returns the sequence names.

    ``photos`` is the photograph pool (``photo_set``); the held-out benchmark is written with
    OpenCV's sample directory, a seed of its own and ``prefix="heldout"``; the long-term one
    with ``long_term=True`` (``generate_long_term_sequence``) and ``prefix="longterm"``; the
    look-alike one with ``lookalikes=True`` (``generate_lookalike_sequence``, every encounter and
    similarity in turn) and ``prefix="lookalike"``, seen through a panning, shaking camera
    with ``camera_shake=True``.
    """
    from tqdm import tqdm

    root = Path(root)
    manifest = benchmark_manifest(seed, num_sequences, length, size, photos)
    if long_term:
        manifest["long_term"] = True
    if lookalikes:
        manifest["lookalikes"] = True
        if camera_shake:
            manifest["camera_shake"] = True
    seeds = benchmark_sequence_seeds(seed, num_sequences)
    names = [f"{prefix}{seed}_{k:03d}" for k in range(num_sequences)]
    manifest_path = root / "benchmark.json"
    if manifest_path.exists() and _complete(root, names, length, manifest, manifest_path):
        LOG.info("procedural benchmark at %s is complete; not regenerating", root)
        return names
    root.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    for index, (name, sequence_seed) in enumerate(tqdm(list(zip(names, seeds)), desc="procedural benchmark",
                                                       unit="seq", disable=not progress)):
        if lookalikes:
            sequence = generate_lookalike_sequence(sequence_seed, *lookalike_kinds(index), length, size,
                                                   name=name, photos=photos, camera_shake=camera_shake)
        else:
            generate = generate_long_term_sequence if long_term else generate_sequence
            sequence = generate(sequence_seed, length, size, name=name, photos=photos)
        write_sequence(sequence, root / name)
    (root / "list.txt").write_text("".join(f"{n}\n" for n in names))
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return names


def _complete(root: Path, names: list[str], length: int, manifest: dict,
              manifest_path: Path) -> bool:
    try:
        if json.loads(manifest_path.read_text()) != manifest:
            return False
    except (OSError, ValueError):
        return False
    return all((root / n / "img" / f"{length:04d}.jpg").exists()
               and (root / n / "groundtruth_rect.txt").exists() for n in names)
