"""Tracker hyper-parameters: one validated dataclass and the published presets by name."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from .confidence import DEFAULT_COLOUR_WEIGHT, DEFAULT_VERIFIER_WEIGHT
from .decode import STRATEGIES
from .settings import Setting, SettingError, check_fields

__all__ = ["PRESETS", "PRESET_SETTING", "TRACKER_SETTINGS", "TrackerParamError", "TrackerParams"]

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

# The tracker's settings (one entry each: default, allowed values, meaning); TrackerParams
# checks its fields against them and the node declares its parameters from them.
TRACKER_SETTINGS: tuple[Setting, ...] = (
    Setting("strategy", "coarse_to_fine", "box decoding: coarse_to_fine (the paper), coarse_to_fine_box "
            "(centre of the box regressed at the refined point), reference (the authors' public code)",
            choices=STRATEGIES, unset="", unset_means="empty = the model's recommendation (else coarse_to_fine)"),
    Setting("penalty_k", PRESETS["default"]["penalty_k"], "scale and aspect change penalty",
            low=0.0, high=10.0, unset=-1.0, unset_means="negative = the preset's value"),
    Setting("window_influence", PRESETS["default"]["window_influence"], "cosine window weight",
            low=0.0, high=1.0, unset=-1.0, unset_means="negative = the preset's value"),
    Setting("lr", PRESETS["default"]["lr"], "box size smoothing rate",
            low=0.0, high=1.0, unset=-1.0, unset_means="negative = the preset's value"),
    Setting("context_amount", 0.5, "context added around the target for the crops",
            low=0.0, high=10.0, low_open=True),
    Setting("colour_weight", DEFAULT_COLOUR_WEIGHT, "weight of the colour consistency in the confidence "
            "(peak x exp(-weight x colour shift)); 0 = the network's peak alone (a camera whose white "
            "balance drifts)", low=0.0, high=100.0),
    Setting("verifier_weight", DEFAULT_VERIFIER_WEIGHT, "exponent of the box verifier's P(same object) "
            "in the confidence; 0 = no verifier", low=0.0, high=10.0),
)

# The preset a front end may name; not a TrackerParams field (it picks penalty_k,
# window_influence and lr).
PRESET_SETTING = Setting("preset", "", "hyper-parameter preset",
                         choices=("",) + tuple(name for name in PRESETS if name != "default"),
                         unset="", unset_means="empty = the model's recommendation, else the defaults")

TrackerParamError = SettingError


def _normalise_preset_name(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


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
        check_fields(self, TRACKER_SETTINGS)

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
