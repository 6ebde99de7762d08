"""Learning-rate schedule: warm-up then log decay, per iteration; backbone freezing by epoch."""
from __future__ import annotations

import math


def learning_rate(progress_epochs: float, train: dict) -> float:
    """LR at a fractional epoch: geometric warm-up warmup_start_lr -> base_lr over
    warmup_epochs, then log-linear decay base_lr -> end_lr until the last epoch."""
    warmup = float(train["warmup_epochs"])
    epochs = float(train["epochs"])
    start, base, end = float(train["warmup_start_lr"]), float(train["base_lr"]), float(train["end_lr"])
    if progress_epochs < warmup:
        fraction = progress_epochs / warmup
        return start * math.exp(fraction * math.log(base / start))
    fraction = min(1.0, (progress_epochs - warmup) / max(epochs - warmup, 1e-9))
    return base * math.exp(fraction * math.log(end / base))


def backbone_frozen(epoch: int, train: dict) -> bool:
    """True during the first backbone_freeze_epochs epochs."""
    return epoch < int(train["backbone_freeze_epochs"])
