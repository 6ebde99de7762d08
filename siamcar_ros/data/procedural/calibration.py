"""``calibration_crops``: the search crops reduced-precision tracking (bf16, int8) is set and checked on."""
from __future__ import annotations

import numpy as np
import torch

from siamcar_ros.tracking.crop import context_side, crop_and_resize_host, crop_window
from siamcar_ros.tracking.quantize import QuantizationError

from .sequence import generate_sequence

__all__ = ["CALIBRATION_CROPS", "CALIBRATION_SEED", "calibration_crops"]

# procedural seeds of the calibration crops: apart from the benchmark's and tuning's seeds
CALIBRATION_SEED = 5_000_001
CALIBRATION_CROPS = 24


def calibration_crops(search_size: int, count: int = CALIBRATION_CROPS,
                      seed: int = CALIBRATION_SEED, context_amount: float = 0.5,
                      template_size: int = 127) -> list[torch.Tensor]:
    """``count`` search crops (1 x 3 x S x S float32, raw BGR 0..255) around the target of
    procedural sequences (the scikit-image pool, never the held-out photographs), with the
    offsets and scale changes tracking meets. The same arguments give the same crops.

    A function of the search size, so it can be passed as it is: ``load_tracker(...,
    precision="int8", calibration=calibration_crops)``."""
    if count < 1:
        raise QuantizationError(f"int8 calibration needs at least 1 crop, got {count}")
    rng = np.random.default_rng(seed)
    crops = []
    per_sequence = 6
    for index in range((count + per_sequence - 1) // per_sequence):
        sequence = generate_sequence(seed + index, length=60)
        for frame_index in rng.choice(len(sequence), per_sequence, replace=False):
            if len(crops) == count:
                break
            frame = sequence.frames[int(frame_index)]
            x, y, width, height = sequence.ground_truth[int(frame_index)]
            side = context_side((width, height), context_amount) * search_size / template_size
            side = max(1, int(round(side * rng.uniform(0.85, 1.2))))
            center = (x + width / 2 + rng.normal(0, width / 4), y + height / 2 + rng.normal(0, height / 4))
            crop = crop_and_resize_host(frame, crop_window(center, side), search_size,
                                        frame.reshape(-1, 3).mean(axis=0))
            crops.append(torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))[np.newaxis]))
    return crops
