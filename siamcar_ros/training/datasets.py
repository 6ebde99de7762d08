"""Training sources: the dataset layouts of ``siamcar_ros.data`` as sequence sources, the
procedural generator, and in-memory sequences. Each is a SequenceSource (see sampling.py): a
list of sequences with frame(i, k) -> BGR image and box(i, k) -> (x, y, w, h) or None.

Source types of a training config (paths relative to a source's ``root``; the layouts are
described in each ``siamcar_ros.data`` module): ``got10k`` (``split``), ``lasot``
(``sequences``), ``coco`` (``split``, ``min_size``), ``imagenet_vid``, ``imagenet_det``
(``split``), ``youtube_bb`` (``annotations``), ``procedural`` (seeds, pool, ``photos``).
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np

from siamcar_ros.data import got10k as got10k_layout
from siamcar_ros.data import lasot as lasot_layout
from siamcar_ros.data.coco import read_coco
from siamcar_ros.data.common import Box, DatasetError, FileSequences, read_image, valid_box
from siamcar_ros.data.imagenet import read_imagenet_det, read_imagenet_vid
from siamcar_ros.data.youtube_bb import YouTubeBBSequences, read_youtube_bb

logger = logging.getLogger(__name__)

__all__ = ["DatasetError", "FileSequences", "InMemorySequences", "ProceduralSequences",
           "YouTubeBBSequences", "build_source", "build_sources", "read_coco", "read_got10k",
           "read_image", "read_imagenet_det", "read_imagenet_vid", "read_lasot", "read_youtube_bb"]


def read_got10k(root: str | Path, split: str = "train") -> FileSequences:
    """GOT-10k sequences (``<root>/<split>/list.txt``) as a training source."""
    return FileSequences.from_dataset(got10k_layout.read_got10k(Path(root), split))


def read_lasot(root: str | Path, sequences: list[str] | None = None) -> FileSequences:
    """LaSOT sequences as a training source; ``sequences`` limits to those names (e.g. the
    training split)."""
    return FileSequences.from_dataset(lasot_layout.read_lasot(Path(root), sequences))


class InMemorySequences:
    """Sequences held as arrays: frames (list of lists of BGR images) and boxes."""

    def __init__(self, frames: list[list[np.ndarray]], boxes: list[list[Box | None]]):
        if len(frames) != len(boxes) or any(len(f) != len(b) for f, b in zip(frames, boxes)):
            raise ValueError("frames and boxes must have the same number of sequences and frames")
        self.frames, self.boxes = frames, boxes

    def __len__(self) -> int:
        return len(self.frames)

    def sequence_length(self, index: int) -> int:
        return len(self.frames[index])

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return self.frames[index][frame_index]

    def box(self, index: int, frame_index: int) -> Box | None:
        return self.boxes[index][frame_index]


class ProceduralSequences:
    """Sequences from siamcar_ros.data.procedural, a rotating pool of them.

    Epoch e uses the pool_size seeds first_seed + e * refresh_per_epoch + k; sequences are
    planned when first used and kept while they stay in the pool (frames render on access).
    Seeds must stay below the benchmark's so that training never sees benchmark sequences.
    ``photos``: the photograph pool, ``standard`` or ``training`` (a directory pool, e.g. the
    held-out benchmark's photographs, is refused).
    """

    def __init__(self, first_seed: int = 1, pool_size: int = 64, refresh_per_epoch: int = 16,
                 length: int = 150, size: tuple[int, int] = (480, 640), photos: str = "standard"):
        from siamcar_ros.data.procedural.benchmark import BENCHMARK_SEED_BASE
        from siamcar_ros.data.procedural.photos import PHOTO_POOLS
        if photos not in PHOTO_POOLS:
            raise ValueError(f"procedural training photos must be one of {PHOTO_POOLS}, got "
                             f"{photos!r} (held-out photographs are for evaluation only)")
        self.photos = photos
        if pool_size < 1 or refresh_per_epoch < 0 or length < 2:
            raise ValueError(f"procedural source needs pool_size >= 1, refresh_per_epoch >= 0, "
                             f"length >= 2; got {pool_size}, {refresh_per_epoch}, {length}")
        if first_seed < 0 or first_seed + pool_size > BENCHMARK_SEED_BASE:
            raise ValueError(f"procedural training seeds must lie in [0, {BENCHMARK_SEED_BASE}) "
                             f"(the benchmark's start there); got first_seed {first_seed}")
        self.first_seed, self.pool_size = int(first_seed), int(pool_size)
        self.refresh_per_epoch, self.length = int(refresh_per_epoch), int(length)
        self.size = tuple(int(v) for v in size)
        self.limit = BENCHMARK_SEED_BASE
        self.epoch = 0
        self._cache: OrderedDict[int, object] = OrderedDict()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def seed_of(self, index: int) -> int:
        seed = self.first_seed + self.epoch * self.refresh_per_epoch + index
        return self.first_seed + (seed - self.first_seed) % (self.limit - self.first_seed)

    def _sequence(self, index: int):
        from siamcar_ros.data.procedural.sequence import generate_sequence
        seed = self.seed_of(index)
        if seed not in self._cache:
            self._cache[seed] = generate_sequence(seed, self.length, self.size, photos=self.photos)
            while len(self._cache) > self.pool_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(seed)
        return self._cache[seed]

    def __len__(self) -> int:
        return self.pool_size

    def sequence_length(self, index: int) -> int:
        return self.length

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return self._sequence(index).frames[frame_index]

    def distractor_centers(self, index: int, frame_index: int) -> list[tuple[float, float]]:
        """Where the sequence's look-alike distractors are in that frame (pixel centres)."""
        return self._sequence(index).distractor_centers(frame_index)

    def box(self, index: int, frame_index: int) -> Box | None:
        sequence = self._sequence(index)
        if sequence.absent[frame_index]:
            return None
        return valid_box(sequence.ground_truth[frame_index])


# ----------------------------------------------------------------------------- from config

def build_source(spec: dict, seed: int = 0):
    """One source from its config entry ({type, root, weight, ...})."""
    options = {k: v for k, v in spec.items() if k not in ("type", "weight")}
    kind = spec["type"]
    try:
        if kind == "procedural":
            if "size" in options:
                options["size"] = tuple(options["size"])
            return ProceduralSequences(**options)
        readers = {"got10k": read_got10k, "lasot": read_lasot, "coco": read_coco,
                   "imagenet_vid": read_imagenet_vid, "imagenet_det": read_imagenet_det,
                   "youtube_bb": read_youtube_bb}
        return readers[kind](**options)
    except TypeError as error:
        raise DatasetError(f"source {kind!r} got unsupported options {sorted(options)}: {error}") from error


def build_sources(specs: list[dict], seed: int = 0) -> tuple[list, list[float]]:
    """All configured sources and their sampling weights (default: each source's size)."""
    sources, weights = [], []
    for spec in specs:
        source = build_source(spec, seed)
        if len(source) == 0:
            raise DatasetError(f"source {spec['type']!r} at {spec.get('root')} holds no sequences")
        logger.info("training source %s: %d sequences", spec["type"], len(source))
        sources.append(source)
        weights.append(float(spec.get("weight", len(source))))
    return sources, weights
