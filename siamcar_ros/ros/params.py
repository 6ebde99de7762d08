"""The node's parameters: the model's and the node's own settings declared here, the tracker's,
loss detection's and re-detection's taken from their components (one declaration each, see
``siamcar_ros.tracking.settings``), and the one check of a set of values.

No rclpy (testable without ROS). When a parameter may change (``Setting.applies``):
- live: at any time; applied from the next processed frame.
- configure: read at configure; refused while the node holds a model (inactive or active),
  because the change needs a new model or new subscriptions: deactivate, cleanup, set it,
  configure again.
"""
from __future__ import annotations

from dataclasses import fields, make_dataclass
from typing import Any

from siamcar_ros.model.backbones import BACKBONES as _MODEL_BACKBONES
from siamcar_ros.tracking.accelerate import ACCELERATORS
from siamcar_ros.tracking.distractors import DISTRACTOR_SETTINGS, DistractorSettings
from siamcar_ros.tracking.precision import PRECISIONS
from siamcar_ros.tracking.params import PRESET_SETTING, TRACKER_SETTINGS
from siamcar_ros.tracking.session import LOSS_SETTINGS, REDETECTION_SETTINGS, session_settings
from siamcar_ros.tracking.settings import CONFIGURE, Setting, SettingError, select

# the library's own lists, so that the node accepts exactly what the model and tracker do
BACKBONES = (*_MODEL_BACKBONES, "mobilenetv3_small")   # the last: the nanocar network's
IMAGE_TYPES = ("raw", "compressed")
QOS_RELIABILITIES = ("best_effort", "reliable")
STAMP_POLICIES = ("auto", "header", "arrival")
TRACKING_HYPER_PARAMETERS = ("penalty_k", "window_influence", "lr")
__all__ = ["GROUPS", "NODE_SETTINGS", "NodeParameters", "ParameterError", "SETTINGS_BY_NAME", "build_tracker_params",
           "descriptor_fields", "distractor_settings", "session_settings", "tracker_param_overrides",
           "validate_parameters", "when"]


def _device_error(device: str) -> str | None:
    prefix, _, index = device.partition(":")
    if device in ("auto", "cpu", "cuda") or (prefix == "cuda" and index.isdigit()):
        return None
    return f"{device!r} is not one of 'auto', 'cpu', 'cuda', 'cuda:N'"


MODEL_SETTINGS: tuple[Setting, ...] = (
    Setting("checkpoint", "", "model checkpoint: a .pth file or a bundled model's name (default: nanocar, "
            "MobileNetV3-Small; fast: AlexNet)", CONFIGURE, unset="", unset_means="empty = default"),
    Setting("backbone", "", "check that the checkpoint holds this backbone", CONFIGURE,
            choices=("",) + BACKBONES, unset="", unset_means="empty = as stored in the checkpoint"),
    Setting("device", "auto", "where the network runs; CUDA without a GPU falls back to cpu with a warning",
            CONFIGURE, validator=_device_error, allowed_text="'auto', 'cpu', 'cuda', 'cuda:N'"),
    Setting("half", False, "half precision on CUDA (ignored on cpu)", CONFIGURE),
    Setting("precision", "fp32", "bf16 = bfloat16 on a CPU with the instructions (refused with the reason "
            "elsewhere); int8 = quantized search branch on the CPU (fp32 with a warning where it cannot "
            "be built)", CONFIGURE, choices=PRECISIONS),
    Setting("exported_network", "", "prefix of exported network files (<prefix>_template/_search .onnx, "
            "or .engine on CUDA) run in place of the PyTorch network; files that cannot be used are "
            "named in the status and PyTorch runs", CONFIGURE, unset="", unset_means="empty = none"),
    Setting("accelerator", "auto", "the network's runtime: auto = on the CPU the whole step in one ONNX "
            "Runtime graph (compile for bf16/int8), TensorRT's search branch on CUDA when installed; "
            "unavailable -> eager with a warning", CONFIGURE, choices=ACCELERATORS),
    Setting("threads", 1, "CPU threads of the network (PyTorch and ONNX Runtime), 0 = one per core; 1 "
            "suits the default network, whose layers are too small to share, on a robot whose other "
            "processes need the cores", CONFIGURE, low=0, high=256),
)

TRACKING_SETTINGS: tuple[Setting, ...] = (
    *select(TRACKER_SETTINGS, "strategy"), PRESET_SETTING,
    *select(TRACKER_SETTINGS, *TRACKING_HYPER_PARAMETERS, "colour_weight", "verifier_weight"),
)

PROCESSING_SETTINGS: tuple[Setting, ...] = (
    Setting("rate_hz", 30.0, "maximum processing rate", CONFIGURE, low=0.0, high=1000.0, low_open=True,
            unit="frames/s"),
    Setting("frame_buffer_length", 30, "recent frames kept so that a stamped init box lands on its own "
            "frame", CONFIGURE, low=1, high=1000, unit="frames"),
    Setting("init_stamp_tolerance_ms", 20.0, "an init box's stamp matches the nearest frame within this",
            low=0.0, unit="ms"),
    Setting("init_max_age_s", 1.0, "an init box stamped 0 takes the newest frame only when it arrived at "
            "most this long ago", low=0.0, low_open=True, unit="s"),
    Setting("stamp_policy", "auto", "a frame's stamp: its header stamp, its arrival time on the node's "
            "clock, or (auto) the arrival time when the header stamp is 0", CONFIGURE, choices=STAMP_POLICIES),
    Setting("frame_buffer_megabytes", 256.0, "the frame buffer's memory bound (frames beyond it go first, "
            "the newest is always kept)", CONFIGURE, low=0.0, low_open=True, unit="MB"),
    Setting("max_image_pixels", 16777216, "larger images are refused (compressed ones before decoding)",
            low=1, high=1_000_000_000, unit="pixels"),
)

INTERFACE_SETTINGS: tuple[Setting, ...] = (
    Setting("image_topic", "image_raw", "camera topic (relative names resolve inside the node's namespace)",
            CONFIGURE, non_empty=True),
    Setting("image_type", "raw", "raw = sensor_msgs/Image, compressed = sensor_msgs/CompressedImage",
            CONFIGURE, choices=IMAGE_TYPES),
    Setting("init_topic", "init_bbox", "topic of vision_msgs/Detection2D init boxes", CONFIGURE, non_empty=True),
    Setting("qos_reliability", "best_effort", "image subscription reliability (best_effort: sensor data)",
            CONFIGURE, choices=QOS_RELIABILITIES),
    Setting("qos_depth", 5, "image subscription queue depth", CONFIGURE, low=1, high=100),
    Setting("publish_debug_image", True, "render ~/debug_image (only while someone subscribes)"),
    Setting("publish_detection_array", False, "also publish ~/detections (vision_msgs/Detection2DArray) for "
            "consumers that take arrays", CONFIGURE),
    Setting("class_id", "target", "class_id of the hypothesis in ~/detection", non_empty=True),
    Setting("camera_info_topic", "", "sensor_msgs/CameraInfo of the camera: the target's bearing (~/status, "
            "~/target_ray) and, with depth, its 3-D point", CONFIGURE, unset="",
            unset_means="empty = camera_info beside image_topic"),
    Setting("depth_topic", "", "depth image aligned to the colour image (16UC1 mm or 32FC1 m): the target's "
            "depth (~/status), ~/target_point and ~/detection_3d", CONFIGURE, unset="",
            unset_means="empty = no depth"),
    Setting("sync_tolerance_ms", 50.0, "a CameraInfo or depth image matches a frame stamped within this "
            "(the default takes the previous depth image at 30 Hz when the frame's own comes after it)",
            low=0.0, unit="ms"),
    Setting("depth_region", 0.5, "share of the box's width and height, around its centre, whose median "
            "depth is the target's", low=0.0, high=1.0, low_open=True),
)

# (title, settings) in the order of config/tracker.yaml and the documentation's table
GROUPS: tuple[tuple[str, tuple[Setting, ...]], ...] = (
    ("model", MODEL_SETTINGS),
    ("tracking", TRACKING_SETTINGS),
    ("target loss", LOSS_SETTINGS),
    ("re-detection after a loss", REDETECTION_SETTINGS),
    ("look-alikes", DISTRACTOR_SETTINGS),
    ("processing", PROCESSING_SETTINGS),
    ("interfaces", INTERFACE_SETTINGS),
)
NODE_SETTINGS: tuple[Setting, ...] = tuple(setting for _, group in GROUPS for setting in group)
SETTINGS_BY_NAME = {setting.name: setting for setting in NODE_SETTINGS}
LIVE_PARAMETERS = frozenset(s.name for s in NODE_SETTINGS if s.applies != CONFIGURE)
CONFIGURE_PARAMETERS = frozenset(s.name for s in NODE_SETTINGS if s.applies == CONFIGURE)


def when(setting: Setting) -> str:
    """What `ros2 param describe` shows of when the parameter may change."""
    if setting.applies == CONFIGURE:
        return "configure-only: refused while the node holds a model (deactivate, cleanup, set, configure)"
    return "live: may change at any time, applied from the next frame"


def descriptor_fields(setting: Setting) -> dict[str, str]:
    """What the node's ParameterDescriptor says of a setting."""
    return {"description": setting.summary(), "additional_constraints": when(setting)}


class ParameterError(ValueError):
    """A parameter value outside what the node accepts; `name` is the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(f"parameter '{name}': {message}")
        self.name = name


def _as_dict(self) -> dict[str, Any]:
    return {field.name: getattr(self, field.name) for field in fields(self)}


def _replaced(self, changes: dict[str, Any]):
    """A validated copy with `changes` applied (raises ParameterError)."""
    return validate_parameters({**self.as_dict(), **changes})


NodeParameters = make_dataclass(
    "NodeParameters", [(setting.name, setting.kind) for setting in NODE_SETTINGS], frozen=True,
    namespace={"as_dict": _as_dict, "replaced": _replaced,
               "defaults": classmethod(lambda cls: validate_parameters({})),
               "__doc__": "Validated parameter values, one field per parameter (NODE_SETTINGS).",
               "__module__": __name__})


def validate_parameters(values: dict[str, Any]) -> NodeParameters:
    """Check every value (missing ones take their default); raise ParameterError naming the
    first bad parameter and what it allows."""
    unknown = sorted(set(values) - set(SETTINGS_BY_NAME))
    if unknown:
        raise ParameterError(unknown[0], f"unknown parameter; known: {', '.join(SETTINGS_BY_NAME)}")
    checked = {}
    for setting in NODE_SETTINGS:
        try:
            checked[setting.name] = setting.check(values.get(setting.name, setting.parameter_default),
                                                  allow_unset=True)
        except SettingError as error:
            raise ParameterError(setting.name, error.detail) from error
    return NodeParameters(**checked)


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


def distractor_settings(params: NodeParameters) -> DistractorSettings:
    """The look-alike judgement's settings (DISTRACTOR_SETTINGS) from the parameters."""
    return DistractorSettings(**{setting.attribute: getattr(params, setting.name) for setting in DISTRACTOR_SETTINGS})


def build_tracker_params(params: NodeParameters) -> dict:
    """The tracker settings the parameters set; what they leave unset (empty strategy or preset,
    negative hyper-parameters) comes from the model's recommendation, else the defaults
    (``resolve_tracker_params``, the one place that order is decided)."""
    return {**({"preset": params.preset} if params.preset else {}), **tracker_param_overrides(params)}
