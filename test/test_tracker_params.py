"""Tracker hyper-parameters: presets by name, validation with clear messages."""
import math

import pytest

from siamcar_ros.tracking.params import PRESETS, TrackerParams


@pytest.mark.parametrize(
    "name, lr, penalty_k, window_influence",
    [
        ("OTB100", 0.35, 0.2, 0.45),
        ("GOT10K", 0.7, 0.06, 0.1),
        ("UAV123", 0.4, 0.2, 0.3),
        ("LaSOT", 0.33, 0.04, 0.3),
        ("default", 0.33, 0.04, 0.44),
    ],
)
def test_published_presets_by_name(name, lr, penalty_k, window_influence):
    params = TrackerParams.from_preset(name)
    assert (params.lr, params.penalty_k, params.window_influence) == (lr, penalty_k, window_influence)
    assert params.context_amount == 0.5 and params.strategy == "coarse_to_fine"


def test_preset_names_ignore_case_and_dashes_and_accept_overrides():
    assert TrackerParams.from_preset("got-10k") == TrackerParams.from_preset("GOT10K")
    assert TrackerParams.from_preset("lasot", strategy="reference").strategy == "reference"


def test_defaults_are_the_public_configuration():
    assert TrackerParams() == TrackerParams.from_preset("default")


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown tracker preset 'VOT'.*OTB100, GOT10K, UAV123, LaSOT"):
        TrackerParams.from_preset("VOT")


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("penalty_k", -0.1, "must be within 0..10"),
        ("window_influence", 1.5, "must be within 0..1"),
        ("lr", math.nan, "must be a finite number"),
        ("context_amount", 0.0, r"must be within \(0, 10\]"),
        ("lr", "fast", "expected float"),
    ],
)
def test_out_of_range_values_name_the_key_and_the_allowed_range(key, value, allowed):
    with pytest.raises(ValueError, match=f"{key}: {allowed}"):
        TrackerParams(**{key: value})


def test_unknown_strategy_is_rejected_with_the_allowed_names():
    with pytest.raises(ValueError,
                       match="strategy: 'topk' is not one of 'coarse_to_fine', 'coarse_to_fine_box', 'reference'"):
        TrackerParams(strategy="topk")


def test_from_dict_accepts_a_preset_key_and_rejects_unknown_keys():
    params = TrackerParams.from_dict({"preset": "UAV123", "lr": 0.1})
    assert params.lr == 0.1 and params.penalty_k == PRESETS["UAV123"]["penalty_k"]
    with pytest.raises(ValueError, match="unknown tracker parameter.*'windw'.*allowed: preset, penalty_k"):
        TrackerParams.from_dict({"windw": 0.2})


def test_round_trip_through_a_dict_and_replace_revalidates():
    params = TrackerParams.from_preset("OTB100")
    assert TrackerParams.from_dict(params.to_dict()) == params
    with pytest.raises(ValueError, match="window_influence"):
        params.replace(window_influence=2.0)
