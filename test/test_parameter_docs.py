"""Every setting declared once: config/tracker.yaml, the documentation's parameter table, the
node's ROS descriptors and the CLI flags all come from the settings, and the committed copies
match what the settings generate."""
import argparse

import yaml

from siamcar_ros.ros import parameter_docs
from siamcar_ros.ros.params import GROUPS, NODE_SETTINGS, NodeParameters, validate_parameters
from siamcar_ros.tracking.session import LOSS_SETTINGS, LossSettings, RedetectionSettings
from siamcar_ros.tracking.settings import add_arguments

REGENERATE = "python -m siamcar_ros.ros.parameter_docs --write"


def test_committed_yaml_is_the_generated_one():
    assert parameter_docs.YAML_PATH.read_text() == parameter_docs.yaml_text(), f"run {REGENERATE}"


def test_committed_parameter_table_is_the_generated_one():
    document = parameter_docs.DOC_PATH.read_text()
    assert parameter_docs.document_with_table(document) == document, f"run {REGENERATE}"


def test_yaml_defaults_read_back_as_the_settings_defaults():
    values = yaml.safe_load(parameter_docs.yaml_text())["/**"]["ros__parameters"]
    assert list(values) == [setting.name for setting in NODE_SETTINGS]
    for setting in NODE_SETTINGS:
        assert values[setting.name] == setting.parameter_default
        assert type(values[setting.name]) is setting.kind, setting.name
    assert validate_parameters(values) == NodeParameters.defaults()


def test_table_has_one_row_per_setting_with_its_default_and_rule():
    table = parameter_docs.markdown_table()
    for _, settings in GROUPS:
        for setting in settings:
            rows = [row for row in table.splitlines() if row.startswith(f"| `{setting.name}` |")]
            assert len(rows) == 1, setting.name
            assert parameter_docs.yaml_value(setting.parameter_default) in rows[0]
            assert setting.allowed.replace("|", "\\|") in rows[0]


def test_library_defaults_are_the_settings_defaults():
    assert LossSettings() == LossSettings(**{s.attribute: s.default for s in LOSS_SETTINGS})
    node = NodeParameters.defaults()
    redetection = RedetectionSettings()
    assert (node.reacquire_threshold, node.reacquire_frames, node.search_crops_per_frame) == (
        redetection.reacquire_threshold, redetection.reacquire_frames, redetection.crops_per_frame)


def test_cli_flags_come_from_the_settings():
    parser = argparse.ArgumentParser()
    add_arguments(parser, LOSS_SETTINGS)
    args = parser.parse_args(["--lost-threshold", "0.2"])
    assert args.lost_threshold == 0.2 and args.lost_patience == LossSettings().lost_patience
    assert "consecutive misses" in parser.format_help()


def test_siamcar_track_and_eval_flags_are_the_settings():
    from siamcar_ros.deploy.track import build_parser
    from siamcar_ros.evaluation.cli import build_parser as build_eval_parser
    from siamcar_ros.tracking.session import REDETECTION_SETTINGS

    args = build_parser().parse_args(["video.mp4"])
    for setting in LOSS_SETTINGS + REDETECTION_SETTINGS:
        expected = False if setting.name == "redetection" else setting.default   # opt-in for a clip
        assert getattr(args, setting.name) == expected, setting.name
    assert build_eval_parser().parse_args([]).lost_threshold == LossSettings().lost_threshold
