"""A torch Dataset of training pairs: sample k of epoch e is drawn from its own seed
(seed, epoch, k), so a run is reproducible and a resumed run sees the same pairs."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from siamcar_ros.training.sampling import PairSampler


def crop_to_tensor(crop: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 BGR -> 3xHxW uint8 (kept 8-bit until the batch reaches the model, which
    takes float32 with raw 0..255 values: a quarter of the bytes between processes)."""
    return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))


class PairDataset(Dataset):
    """pairs_per_epoch pairs per epoch; call set_epoch before iterating an epoch."""

    def __init__(self, sampler: PairSampler, pairs_per_epoch: int, seed: int = 0):
        if pairs_per_epoch < 1:
            raise ValueError(f"pairs_per_epoch must be >= 1, got {pairs_per_epoch}")
        self.sampler = sampler
        self.pairs_per_epoch = pairs_per_epoch
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch's pairs; sources with a rotating pool (procedural) refresh it."""
        self.epoch = epoch
        for source in self.sampler.sources:
            if hasattr(source, "set_epoch"):
                source.set_epoch(epoch)

    def __len__(self) -> int:
        return self.pairs_per_epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < self.pairs_per_epoch:
            raise IndexError(f"pair index {index} outside 0..{self.pairs_per_epoch - 1}")
        rng = np.random.default_rng([self.seed, self.epoch, index])
        pair = self.sampler.sample(rng)
        return {
            "template": crop_to_tensor(pair.template),
            "search": crop_to_tensor(pair.search),
            "labels": torch.from_numpy(pair.targets.labels),
            "ltrb": torch.from_numpy(pair.targets.ltrb),
            "centerness": torch.from_numpy(pair.targets.centerness),
        }


class EpochSampler(Sampler):
    """Indices of one epoch for one rank (rank, rank + world, ...), starting after the
    samples already consumed (for resuming in the middle of an epoch)."""

    def __init__(self, num_samples: int, rank: int = 0, world_size: int = 1, start: int = 0):
        self.indices = list(range(rank, num_samples, world_size))[start:]

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
