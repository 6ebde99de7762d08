"""The node's parameter table, its checks, and config/tracker.yaml agreeing with it."""

from pathlib import Path

import pytest
import yaml

from siamcar_ros.tracking.confidence import DEFAULT_COLOUR_WEIGHT, DEFAULT_VERIFIER_WEIGHT
from siamcar_ros.ros.params import (
    CONFIGURE_PARAMETERS,
    LIVE_PARAMETERS,
    NODE_SETTINGS,
    NodeParameters,
    ParameterError,
    tracker_param_overrides,
    validate_parameters,
)

CONFIG = Path(__file__).resolve().parents[1] / "config" / "tracker.yaml"


def test_defaults_are_valid_and_every_parameter_has_one_change_rule():
    params = NodeParameters.defaults()
    assert params.image_type == "raw" and params.qos_reliability == "best_effort"
    assert LIVE_PARAMETERS | CONFIGURE_PARAMETERS == {s.name for s in NODE_SETTINGS}
    assert not LIVE_PARAMETERS & CONFIGURE_PARAMETERS
    for model_parameter in ("checkpoint", "backbone", "device", "half"):
        assert model_parameter in CONFIGURE_PARAMETERS
    for hyper_parameter in ("penalty_k", "window_influence", "lr", "strategy", "preset"):
        assert hyper_parameter in LIVE_PARAMETERS


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("backbone", "vgg16", "not one of"),
        ("device", "gpu", "cuda:N"),
        ("strategy", "fancy", "not one of"),
        ("preset", "VOT", "not one of"),
        ("window_influence", 1.5, "must be within 0..1"),
        ("lr", float("nan"), "finite"),
        ("lost_threshold", -0.1, "0..1"),
        ("lost_patience", 0, ">= 1"),
        ("rate_hz", 0.0, "(0, 1000]"),
        ("frame_buffer_length", 0, "1..1000"),
        ("qos_reliability", "sometimes", "not one of"),
        ("image_type", "theora", "not one of"),
        ("image_topic", " ", "empty"),
        ("lost_patience", 2.5, "expected int"),
        ("half", "yes", "expected bool"),
        ("accelerator", "openvino", "not one of 'auto', 'none', 'export', 'tensorrt', 'onnxruntime', 'compile'"),
        ("reacquire_threshold", 0.0, "(0, 1]"),
        ("reacquire_frames", 0, "1..100"),
        ("search_crops_per_frame", 65, "1..64"),
        ("check_interval", -1, "0..1000"),
        ("switch_margin", 1.5, "0..1"),
        ("redetection", "on", "expected bool"),
        ("stamp_policy", "camera", "not one of 'auto', 'header', 'arrival'"),
        ("init_max_age_s", 0.0, "> 0"),
        ("max_image_pixels", 0, "1..1000000000"),
        ("precision", "int4", "not one of 'fp32', 'bf16', 'int8'"),
        ("colour_weight", -1.0, "must be within 0..100"),
        ("verifier_weight", 12.0, "must be within 0..10"),
        ("exported_network", 3, "expected str"),
        ("no_such_parameter", 1, "unknown"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(name, value, message):
    with pytest.raises(ParameterError) as error:
        validate_parameters({name: value})
    assert error.value.name == name
    assert message in str(error.value) and name in str(error.value)


def test_cuda_index_and_integer_for_float_are_accepted():
    params = validate_parameters({"device": "cuda:1", "rate_hz": 15})
    assert params.device == "cuda:1" and params.rate_hz == 15.0 and isinstance(params.rate_hz, float)


def test_replaced_validates_the_merged_values():
    params = NodeParameters.defaults().replaced({"penalty_k": 0.1})
    assert params.penalty_k == 0.1 and params.lr == NodeParameters.defaults().lr
    with pytest.raises(ParameterError):
        params.replaced({"lost_threshold": 2.0})


def test_negative_hyper_parameters_defer_to_the_preset():
    overrides = tracker_param_overrides(validate_parameters({"penalty_k": 0.3, "strategy": "reference"}))
    assert overrides == {"strategy": "reference", "penalty_k": 0.3,
                         "colour_weight": DEFAULT_COLOUR_WEIGHT, "verifier_weight": DEFAULT_VERIFIER_WEIGHT}


def test_config_yaml_lists_every_parameter_with_a_valid_default():
    document = yaml.safe_load(CONFIG.read_text())
    values = document["/**"]["ros__parameters"]
    assert set(values) == {s.name for s in NODE_SETTINGS}
    assert validate_parameters(values) == NodeParameters.defaults()
