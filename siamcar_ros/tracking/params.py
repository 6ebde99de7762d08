"""Tracker hyper-parameters: one validated dataclass and the published presets by name."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from .confidence import DEFAULT_COLOUR_WEIGHT, DEFAULT_VERIFIER_WEIGHT
from .decode import STRATEGIES

__all__ = ["TrackerParams", "PRESETS"]

# (lr, penalty_k, window_influence) published with the ResNet-50 weights, per benchmark;
# "default" is the public configuration file's setting.
PRESETS: dict[str, dict[str, float]] = {
    "OTB100": {"lr": 0.35, "penalty_k": 0.2, "window_influence": 0.45},
    "GOT10K": {"lr": 0.7, "penalty_k": 0.06, "window_influence": 0.1},
    "UAV123": {"lr": 0.4, "penalty_k": 0.2, "window_influence": 0.3},
    "LaSOT": {"lr": 0.33, "penalty_k": 0.04, "window_influence": 0.3},
    "default": {"lr": 0.33, "penalty_k": 0.04, "window_influence": 0.44},
}

# Accepted spellings -> preset key (case, '-', '_' and spaces ignored).
_PRESET_ALIASES = {name.lower().replace("-", ""): name for name in PRESETS}
_PRESET_ALIASES.update({"otb": "OTB100", "otb2015": "OTB100", "got": "GOT10K", "uav": "UAV123"})

# name -> (lowest, highest, description of the range) for the numeric fields.
_RANGES = {
    "penalty_k": (0.0, 10.0, "0 <= penalty_k <= 10"),
    "window_influence": (0.0, 1.0, "0 <= window_influence <= 1"),
    "lr": (0.0, 1.0, "0 <= lr <= 1"),
    "context_amount": (0.0, 10.0, "0 < context_amount <= 10"),
    "colour_weight": (0.0, 100.0, "0 <= colour_weight <= 100"),
    "verifier_weight": (0.0, 10.0, "0 <= verifier_weight <= 10"),
}


def _normalise_preset_name(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


class TrackerParamError(ValueError):
    """A tracker setting outside what the tracker accepts; ``name`` is the setting."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class TrackerParams:
    """Hyper-parameters of :class:`~siamcar_ros.tracking.tracker.SiamCARTracker`.

    - ``penalty_k``: strength of the scale/ratio-change penalty P = exp(-(r_c s_c - 1) k).
    - ``window_influence``: weight of the Hanning (cosine) window against the penalised score.
    - ``lr``: size smoothing; the new size is blended in at rate P * cls * lr.
    - ``context_amount``: context added around the target for the crops (0.5 in the paper).
    - ``strategy``: ``"coarse_to_fine"`` (the paper) or ``"reference"`` (the public code).
    - ``colour_weight``: weight of the colour consistency in the confidence,
      confidence = peak x exp(-colour_weight x colour shift) (``confidence.py``); 0 = the
      network's peak alone. It changes the confidence only, never the box.
    - ``verifier_weight``: exponent of the box verifier's answer in the confidence,
      confidence x P(same object)^verifier_weight (``verifier.py``); 0 = no verifier. It
      changes the confidence only, never the box; without a verifier file it has no effect.
    """

    penalty_k: float = PRESETS["default"]["penalty_k"]
    window_influence: float = PRESETS["default"]["window_influence"]
    lr: float = PRESETS["default"]["lr"]
    context_amount: float = 0.5
    strategy: str = "coarse_to_fine"
    colour_weight: float = DEFAULT_COLOUR_WEIGHT
    verifier_weight: float = DEFAULT_VERIFIER_WEIGHT

    def __post_init__(self) -> None:
        for name, (lowest, highest, allowed) in _RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TrackerParamError(name, f"tracker parameter {name!r} must be a number "
                                              f"({allowed}), got {value!r}")
            value = float(value)
            too_small = value <= lowest if name == "context_amount" else value < lowest
            if not math.isfinite(value) or too_small or value > highest:
                raise TrackerParamError(name, f"tracker parameter {name!r} is {value!r}; allowed: {allowed}")
            object.__setattr__(self, name, value)
        if self.strategy not in STRATEGIES:
            raise TrackerParamError("strategy", f"tracker parameter 'strategy' is {self.strategy!r}; "
                                                f"allowed: {', '.join(STRATEGIES)}")

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> "TrackerParams":
        """A published preset by name (OTB100, GOT10K, UAV123, LaSOT, default), plus overrides."""
        key = _PRESET_ALIASES.get(_normalise_preset_name(str(name)))
        if key is None:
            raise ValueError(f"unknown tracker preset {name!r}; allowed: {', '.join(PRESETS)}")
        return cls.from_dict({**PRESETS[key], **overrides})

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrackerParams":
        """Build from a mapping (e.g. a YAML file); a ``preset`` key selects the starting point."""
        values = dict(values)
        preset = values.pop("preset", None)
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown tracker parameter(s) {', '.join(map(repr, unknown))}; "
                             f"allowed: preset, {', '.join(cls.field_names())}")
        if preset is not None:
            return cls.from_preset(preset, **values)
        return cls(**values)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "TrackerParams":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


# Settings of a checkpoint's recommendation that describe the model rather than the dataset:
# they survive when the caller picks a preset (a preset only sets penalty_k, window_influence, lr).
_MODEL_SETTINGS = ("strategy", "context_amount")


def resolve_tracker_params(params: "TrackerParams | Mapping[str, Any] | str | None",
                           recommended: Mapping[str, Any] | None = None) -> "TrackerParams":
    """The one rule every front end (library, siamcar-track, siamcar-eval, siamcar-tune, the
    node) uses for tracker settings: preset < the model's recommendation < explicit value.

    TrackerParams from an instance, a mapping (see ``TrackerParams.from_dict``) or a preset name.

    ``recommended`` (the settings a checkpoint was tuned with, ``model.recommended_tracker_params``)
    fills what the caller leaves out; a TrackerParams instance is taken as it is, and a preset
    named by the caller replaces the recommended hyper-parameters but keeps the recommended
    strategy and context amount.
    """
    if isinstance(params, TrackerParams):
        return params
    if params is None:
        requested: dict[str, Any] = {}
    elif isinstance(params, str):
        requested = {"preset": params}
    elif isinstance(params, Mapping):
        requested = dict(params)
    else:
        raise TypeError(f"params must be TrackerParams, a dict or a preset name, got {type(params).__name__}")
    merged = dict(recommended or {})
    if "preset" in requested:
        merged = {key: value for key, value in merged.items() if key in _MODEL_SETTINGS}
    merged.update(requested)
    return TrackerParams.from_dict(merged)
