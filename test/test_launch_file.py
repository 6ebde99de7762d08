"""launch/tracker.launch.py: compiles, declares every argument, starts the installed node as a
lifecycle node with autostart events. (launch_ros is not on PyPI: where it is importable the
launch description is also built for real.)"""

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_FILE = ROOT / "launch" / "tracker.launch.py"
REQUIRED_ARGUMENTS = {"params_file", "namespace", "image_topic", "image_type", "init_topic", "camera_info_topic",
                      "depth_topic", "checkpoint", "backbone", "device", "use_sim_time", "autostart", "mavlink",
                      "mavlink_url"}


@pytest.fixture(scope="module")
def tree():
    source = LAUNCH_FILE.read_text()
    compile(source, str(LAUNCH_FILE), "exec")
    return ast.parse(source)


def declared_argument_names(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DeclareLaunchArgument":
            first = node.args[0]
            if isinstance(first, ast.Constant):
                names.add(first.value)
            else:  # declared in a loop over PARAMETER_ARGUMENTS
                names |= parameter_argument_names(tree)
    return names


def parameter_argument_names(tree) -> set[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PARAMETER_ARGUMENTS" for t in node.targets):
            return {element.value for element in node.value.elts}
    return set()


def keyword_constants(tree, function: str) -> dict:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function:
            return {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
    return {}


def test_every_required_argument_is_declared(tree):
    assert declared_argument_names(tree) == REQUIRED_ARGUMENTS


def test_parameter_arguments_name_real_node_parameters(tree):
    from siamcar_ros.ros.params import SETTINGS_BY_NAME

    assert parameter_argument_names(tree) <= set(SETTINGS_BY_NAME)


def test_starts_the_installed_executable_as_a_lifecycle_node(tree):
    node = keyword_constants(tree, "LifecycleNode")
    assert node["executable"] == "siamcar_tracker" and node["name"] == "siamcar_tracker"
    cmake = (ROOT / "CMakeLists.txt").read_text()
    assert "siamcar_tracker" in cmake and "siamcar_ros.ros.node" in cmake  # installed in lib/siamcar_ros


def test_mavlink_starts_the_installed_bridge_beside_the_tracker(tree):
    node = keyword_constants(tree, "Node")
    assert node["executable"] == "siamcar_mavlink" and node["name"] == "siamcar_mavlink"
    cmake = (ROOT / "CMakeLists.txt").read_text()
    assert "siamcar_mavlink siamcar_ros.ros.mavlink_bridge main" in cmake
    from siamcar_ros.mavlink.camera_tracking import BRIDGE_SETTINGS

    source = ast.unparse(tree)
    assert "'mavlink_url'" in source and "mavlink_url" in {s.name for s in BRIDGE_SETTINGS}


def test_autostart_emits_configure_and_then_activate(tree):
    source = ast.unparse(tree)
    assert "Transition.TRANSITION_CONFIGURE" in source and "Transition.TRANSITION_ACTIVATE" in source
    handler = keyword_constants(tree, "OnStateTransition")
    assert handler == {"start_state": "configuring", "goal_state": "inactive"}


def test_default_params_file_is_the_packaged_config(tree):
    source = ast.unparse(tree)
    assert "'config', 'tracker.yaml'" in source
    assert (ROOT / "config" / "tracker.yaml").is_file()


def test_launch_description_builds_where_launch_ros_is_installed():
    if importlib.util.find_spec("launch_ros") is None:
        pytest.skip("launch_ros is not installed (it is not on PyPI); checked textually above")
    spec = importlib.util.spec_from_file_location("tracker_launch", LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    declared = {a.name for a in description.get_launch_arguments()}
    assert declared == REQUIRED_ARGUMENTS
