"""The node's parameters: one table (name, default, meaning, when it may change) and its checks.

No rclpy (testable without ROS): the node declares its ROS parameters from `PARAMETER_SPECS`,
`config/tracker.yaml` lists the same names, and `validate_parameters` is the single place
where values are checked, with errors naming the parameter and the allowed values.

When a parameter may change (`ParameterSpec.changes`):
- "live":      at any time; applied from the next processed frame (tracking hyper-parameters,
               loss detection, output details).
- "configure": read at configure; refused while the node holds a model (inactive or active),
               because the change needs a new model or new subscriptions:
               deactivate, cleanup, set it, configure again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from siamcar_ros.model.backbones import BACKBONES as _MODEL_BACKBONES
from siamcar_ros.tracking.accelerate import ACCELERATORS
from siamcar_ros.tracking.confidence import (DEFAULT_COLOUR_WEIGHT, DEFAULT_LOST_THRESHOLD,
                                             DEFAULT_VERIFIER_WEIGHT)
from siamcar_ros.tracking.device import PRECISIONS
from siamcar_ros.tracking.decode import STRATEGIES
from siamcar_ros.tracking.params import PRESETS as _TRACKER_PRESETS
from siamcar_ros.tracking.session import LossSettings, RedetectionSettings

# the library's own lists, so that the node accepts exactly what the model and tracker do
BACKBONES = (*_MODEL_BACKBONES, "mobilenetv3_small")   # the last: the nanocar network's
PRESETS = tuple(name for name in _TRACKER_PRESETS if name != "default")
IMAGE_TYPES = ("raw", "compressed")
QOS_RELIABILITIES = ("best_effort", "reliable")
STAMP_POLICIES = ("auto", "header", "arrival")
TRACKING_HYPER_PARAMETERS = ("penalty_k", "window_influence", "lr")


class ParameterError(ValueError):
    """A parameter value outside what the node accepts; `name` is the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(f"parameter '{name}': {message}")
        self.name = name


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    default: Any
    description: str
    changes: str  # "live" or "configure"

    @property
    def when(self) -> str:
        """What `ros2 param describe` shows of when the parameter may change."""
        if self.changes == "live":
            return "live: may change at any time, applied from the next frame"
        return "configure-only: refused while the node holds a model (deactivate, cleanup, set, configure)"


PARAMETER_SPECS: tuple[ParameterSpec, ...] = (
    # Model
    ParameterSpec("checkpoint", "", "model checkpoint: a .pth file or a bundled model's name "
                  "(default, fast); empty = default", "configure"),
    ParameterSpec("backbone", "", f"backbone name {BACKBONES}; empty = as stored in the checkpoint", "configure"),
    ParameterSpec("device", "auto", "auto, cpu, cuda or cuda:N; CUDA without a GPU falls back to cpu", "configure"),
    ParameterSpec("half", False, "half precision on CUDA (ignored on cpu)", "configure"),
    ParameterSpec("precision", "fp32", f"{PRECISIONS}: bf16 = bfloat16 on a CPU with the instructions "
                  "(refused with the reason elsewhere); int8 = quantized search branch on the CPU "
                  "(falls back to fp32 with a warning where it cannot be built)", "configure"),
    ParameterSpec("exported_network", "", "prefix of exported network files (<prefix>_template/"
                  "_search .onnx, or .engine on CUDA) run in place of the PyTorch network; files "
                  "that cannot be used are named in the status and PyTorch runs; empty = none",
                  "configure"),
    ParameterSpec("accelerator", "auto", f"search branch {ACCELERATORS}: auto = TensorRT on CUDA when "
                  "installed; on the CPU compile for bf16/int8, else ONNX Runtime; else eager; "
                  "unavailable -> eager with a warning",
                  "configure"),
    # Tracking hyper-parameters
    ParameterSpec("strategy", "", f"box decoding {STRATEGIES}; empty = the model's recommendation "
                  "(else coarse_to_fine)", "live"),
    ParameterSpec("preset", "", f"hyper-parameter preset {PRESETS}; empty = the model's "
                  "recommendation, else defaults", "live"),
    ParameterSpec("penalty_k", -1.0, "scale/aspect change penalty 0..10; negative = from preset", "live"),
    ParameterSpec("window_influence", -1.0, "cosine window weight 0..1; negative = from preset", "live"),
    ParameterSpec("lr", -1.0, "box size smoothing rate 0..1; negative = from preset", "live"),
    ParameterSpec("colour_weight", DEFAULT_COLOUR_WEIGHT, "weight of the colour consistency in the "
                  "confidence (peak x exp(-weight x colour shift)), 0..100; 0 = the network's peak "
                  "alone (a camera whose white balance drifts)", "live"),
    ParameterSpec("verifier_weight", DEFAULT_VERIFIER_WEIGHT, "exponent of the box verifier's "
                  "P(same object) in the confidence, 0..10; 0 = no verifier", "live"),
    # Target loss
    ParameterSpec("lost_threshold", DEFAULT_LOST_THRESHOLD, "confidence below which a frame counts as a miss, "
                  "0..1 (default chosen on validation data for the default model)", "live"),
    ParameterSpec("lost_patience", 10, "consecutive misses before the state becomes LOST, >= 1", "live"),
    # Re-detection after a loss
    ParameterSpec("redetection", True, "after a loss, search the whole frame (SEARCHING) and "
                  "re-acquire the target; false = keep tracking locally while LOST", "live"),
    ParameterSpec("reacquire_threshold", RedetectionSettings.reacquire_threshold,
                  "score a re-detected candidate needs, within (0, 1]", "live"),
    ParameterSpec("reacquire_frames", RedetectionSettings.reacquire_frames,
                  "consecutive confident frames before re-acquiring, 1..100", "live"),
    ParameterSpec("search_crops_per_frame", RedetectionSettings.crops_per_frame,
                  "search crops per frame while SEARCHING, besides the local tracker's step "
                  "(bounds the cost of a searching frame), 1..64", "live"),
    ParameterSpec("check_interval", RedetectionSettings.check_interval, "while TRACKING with a recent "
                  "confidence under reacquire_threshold, one search crop elsewhere in the frame every "
                  "this many frames, to move off a look-alike once the target is back in view; "
                  "0..1000, 0 = no checks", "live"),
    ParameterSpec("switch_margin", RedetectionSettings.switch_margin, "how much more than the tracked "
                  "box's recent confidence a match elsewhere must score to take over, 0..1", "live"),
    # Processing
    ParameterSpec("rate_hz", 30.0, "maximum processing rate in frames/s, 0 < rate_hz <= 1000", "configure"),
    ParameterSpec("frame_buffer_length", 30, "recent frames kept for stamped init boxes, 1..1000", "configure"),
    ParameterSpec("init_stamp_tolerance_ms", 20.0, "nearest-frame match for an init stamp, ms >= 0", "live"),
    ParameterSpec("init_max_age_s", 1.0, "an init box stamped 0 takes the newest frame only when it "
                  "arrived at most this long ago, seconds > 0", "live"),
    ParameterSpec("stamp_policy", "auto", f"{STAMP_POLICIES}: a frame's stamp is its header stamp, its "
                  "arrival time on the node's clock, or (auto) the arrival time when the header stamp is 0",
                  "configure"),
    ParameterSpec("frame_buffer_megabytes", 256.0, "the frame buffer's memory bound, MB > 0 (frames "
                  "beyond it go first, the newest is always kept)", "configure"),
    ParameterSpec("max_image_pixels", 16777216, "larger images are refused (compressed ones before "
                  "decoding), 1..1000000000", "live"),
    # Interfaces
    ParameterSpec("image_topic", "image_raw", "camera topic (relative names follow the namespace)", "configure"),
    ParameterSpec("image_type", "raw", f"{IMAGE_TYPES}: sensor_msgs/Image or CompressedImage", "configure"),
    ParameterSpec("init_topic", "init_bbox", "vision_msgs/Detection2D init boxes", "configure"),
    ParameterSpec("qos_reliability", "best_effort", f"image subscription {QOS_RELIABILITIES}", "configure"),
    ParameterSpec("qos_depth", 5, "image subscription queue depth, 1..100", "configure"),
    ParameterSpec("publish_debug_image", True, "render ~/debug_image (only while subscribed)", "live"),
    ParameterSpec("publish_detection_array", False, "also publish ~/detections "
                  "(vision_msgs/Detection2DArray) for consumers that take arrays", "configure"),
    ParameterSpec("class_id", "target", "class_id of the published detection result", "live"),
)

SPECS_BY_NAME = {spec.name: spec for spec in PARAMETER_SPECS}
LIVE_PARAMETERS = frozenset(s.name for s in PARAMETER_SPECS if s.changes == "live")
CONFIGURE_PARAMETERS = frozenset(s.name for s in PARAMETER_SPECS if s.changes == "configure")


@dataclass(frozen=True)
class NodeParameters:
    """Validated parameter values (field names = parameter names)."""

    checkpoint: str
    backbone: str
    device: str
    half: bool
    precision: str
    exported_network: str
    accelerator: str
    strategy: str
    preset: str
    penalty_k: float
    window_influence: float
    lr: float
    colour_weight: float
    verifier_weight: float
    lost_threshold: float
    lost_patience: int
    redetection: bool
    reacquire_threshold: float
    reacquire_frames: int
    search_crops_per_frame: int
    check_interval: int
    switch_margin: float
    rate_hz: float
    frame_buffer_length: int
    init_stamp_tolerance_ms: float
    init_max_age_s: float
    stamp_policy: str
    frame_buffer_megabytes: float
    max_image_pixels: int
    image_topic: str
    image_type: str
    init_topic: str
    qos_reliability: str
    qos_depth: int
    publish_debug_image: bool
    publish_detection_array: bool
    class_id: str

    @classmethod
    def defaults(cls) -> "NodeParameters":
        return validate_parameters({s.name: s.default for s in PARAMETER_SPECS})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replaced(self, changes: dict[str, Any]) -> "NodeParameters":
        """A validated copy with `changes` applied (raises ParameterError)."""
        return validate_parameters({**self.as_dict(), **changes})


def validate_parameters(values: dict[str, Any]) -> NodeParameters:
    """Check every value; raise ParameterError naming the first bad parameter."""
    unknown = sorted(set(values) - set(SPECS_BY_NAME))
    if unknown:
        raise ParameterError(unknown[0], f"unknown parameter; known: {', '.join(SPECS_BY_NAME)}")
    merged = {s.name: values.get(s.name, s.default) for s in PARAMETER_SPECS}
    for name, value in merged.items():
        default = SPECS_BY_NAME[name].default
        _check_type(name, value, default)
        if isinstance(default, float):
            merged[name] = float(value)
    _check_choices(merged)
    _check_ranges(merged)
    params = NodeParameters(**merged)
    _check_tracker_settings(params)
    return params


def _check_tracker_settings(params: NodeParameters) -> None:
    """The tracker's own rule and ranges decide (one owner, siamcar_ros.tracking.params);
    the placeholders (negative, empty) are turned into 'not set' here, at the ROS edge."""
    from siamcar_ros.tracking.params import TrackerParamError, resolve_tracker_params

    try:
        resolve_tracker_params(build_tracker_params(params))
    except TrackerParamError as error:
        raise ParameterError(error.name, f"{error} (or negative to take the preset's value)"
                             if error.name in TRACKING_HYPER_PARAMETERS else str(error)) from error


def _check_type(name: str, value: Any, default: Any) -> None:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ParameterError(name, f"expected {type(default).__name__}, got {value!r}")


def _check_choices(v: dict[str, Any]) -> None:
    choices = {
        "backbone": ("",) + BACKBONES,
        "strategy": ("",) + STRATEGIES,
        "preset": ("",) + PRESETS,
        "image_type": IMAGE_TYPES,
        "qos_reliability": QOS_RELIABILITIES,
        "accelerator": ACCELERATORS,
        "stamp_policy": STAMP_POLICIES,
        "precision": PRECISIONS,
    }
    for name, allowed in choices.items():
        if v[name] not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise ParameterError(name, f"{v[name]!r} is not one of {shown}")
    device = v["device"]
    if not (device in ("auto", "cpu", "cuda") or _is_cuda_index(device)):
        raise ParameterError("device", f"{device!r} is not one of 'auto', 'cpu', 'cuda', 'cuda:N'")
    for name in ("image_topic", "init_topic", "class_id"):
        if not v[name].strip():
            raise ParameterError(name, "must not be empty")


def _is_cuda_index(device: str) -> bool:
    prefix, _, index = device.partition(":")
    return prefix == "cuda" and index.isdigit()


def _check_ranges(v: dict[str, Any]) -> None:
    for name in ("penalty_k", "window_influence", "lr", "colour_weight", "verifier_weight",
                 "lost_threshold", "rate_hz",
                 "init_stamp_tolerance_ms", "reacquire_threshold", "init_max_age_s", "switch_margin",
                 "frame_buffer_megabytes"):
        if not math.isfinite(v[name]):
            raise ParameterError(name, f"must be a finite number, got {v[name]!r}")
    _require("lost_threshold", 0.0 <= v["lost_threshold"] <= 1.0, "must be within 0..1")
    _require("lost_patience", v["lost_patience"] >= 1, "must be >= 1")
    _require("reacquire_threshold", 0.0 < v["reacquire_threshold"] <= 1.0, "must be within (0, 1]")
    _require("reacquire_frames", 1 <= v["reacquire_frames"] <= 100, "must be within 1..100")
    _require("search_crops_per_frame", 1 <= v["search_crops_per_frame"] <= 64, "must be within 1..64")
    _require("check_interval", 0 <= v["check_interval"] <= 1000, "must be within 0..1000 (0: no checks)")
    _require("switch_margin", 0.0 <= v["switch_margin"] <= 1.0, "must be within 0..1")
    _require("rate_hz", 0.0 < v["rate_hz"] <= 1000.0, "must be within (0, 1000]")
    _require("frame_buffer_length", 1 <= v["frame_buffer_length"] <= 1000, "must be within 1..1000")
    _require("init_stamp_tolerance_ms", v["init_stamp_tolerance_ms"] >= 0, "must be >= 0")
    _require("qos_depth", 1 <= v["qos_depth"] <= 100, "must be within 1..100")
    _require("init_max_age_s", v["init_max_age_s"] > 0, "must be > 0")
    _require("frame_buffer_megabytes", v["frame_buffer_megabytes"] > 0, "must be > 0")
    _require("max_image_pixels", 1 <= v["max_image_pixels"] <= 1_000_000_000, "must be within 1..1000000000")


def _require(name: str, condition: bool, message: str) -> None:
    if not condition:
        raise ParameterError(name, message)


def tracker_param_overrides(params: NodeParameters) -> dict[str, Any]:
    """Hyper-parameters set explicitly (non-negative) plus the strategy when set, for TrackerParams."""
    overrides: dict[str, Any] = {"strategy": params.strategy} if params.strategy else {}
    for name in TRACKING_HYPER_PARAMETERS:
        value = getattr(params, name)
        if value >= 0:
            overrides[name] = float(value)
    overrides["colour_weight"] = float(params.colour_weight)
    overrides["verifier_weight"] = float(params.verifier_weight)
    return overrides


def session_settings(params: NodeParameters):
    """The tracking session's loss and re-detection settings from the parameters."""
    return (LossSettings(params.lost_threshold, params.lost_patience),
            RedetectionSettings(params.redetection, params.reacquire_threshold,
                                params.reacquire_frames, params.search_crops_per_frame,
                                params.check_interval, params.switch_margin))


def build_tracker_params(params: NodeParameters) -> dict:
    """The tracker settings the parameters set; what they leave unset (empty strategy or preset,
    negative hyper-parameters) comes from the model's recommendation, else the defaults
    (``resolve_tracker_params``)."""
    return {**({"preset": params.preset} if params.preset else {}), **tracker_param_overrides(params)}
