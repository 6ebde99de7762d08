"""Launch the siamcar_tracker lifecycle node (and, with autostart, configure and activate it).

    ros2 launch siamcar_ros tracker.launch.py image_topic:=/camera/image_raw
    ros2 launch siamcar_ros tracker.launch.py namespace:=front image_topic:=/front/image_raw
    ros2 launch siamcar_ros tracker.launch.py mavlink:=true mavlink_url:=udpout:192.168.1.10:14550

Arguments left empty keep the value from params_file (config/tracker.yaml by default), so a
parameter file is never silently overridden by a launch default.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.substitutions import FindPackageShare
from lifecycle_msgs.msg import Transition

PACKAGE = "siamcar_ros"
# Launch arguments that, when not empty, override the node parameter of the same name; what
# each parameter means and allows is in docs/node-and-parameters.md (`ros2 param describe`).
PARAMETER_ARGUMENTS = ("image_topic", "image_type", "init_topic", "camera_info_topic", "depth_topic", "checkpoint",
                       "backbone", "device")


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(
            "params_file",
            default_value=PathJoinSubstitution([FindPackageShare(PACKAGE), "config", "tracker.yaml"]),
            description="YAML file with the node's parameters",
        ),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of this tracker instance"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use the /clock topic"),
        DeclareLaunchArgument(
            "autostart", default_value="true", description="configure and activate the node at start"
        ),
        DeclareLaunchArgument("mavlink", default_value="false",
                              description="also start siamcar_mavlink, the MAVLink camera-tracking bridge "
                              "(docs/mavlink.md)"),
        DeclareLaunchArgument("mavlink_url", default_value="udpout:127.0.0.1:14550",
                              description="the bridge's MAVLink connection (pymavlink's form)"),
    ]
    arguments += [
        DeclareLaunchArgument(name, default_value="", description=f"the node parameter '{name}' (see "
                              "docs/node-and-parameters.md); empty = the params file's value")
        for name in PARAMETER_ARGUMENTS
    ]
    return LaunchDescription(arguments + [OpaqueFunction(function=_tracker_and_autostart)])


def _tracker_and_autostart(context):
    def argument(name: str) -> str:
        return LaunchConfiguration(name).perform(context)

    overrides = {name: argument(name) for name in PARAMETER_ARGUMENTS if argument(name)}
    overrides["use_sim_time"] = argument("use_sim_time").lower() in ("true", "1", "yes")
    tracker = LifecycleNode(
        package=PACKAGE,
        executable="siamcar_tracker",
        name="siamcar_tracker",
        namespace=argument("namespace"),
        parameters=[argument("params_file"), overrides],
        output="screen",
        emulate_tty=True,
    )
    actions = [tracker]
    if argument("autostart").lower() in ("true", "1", "yes"):
        actions += _autostart(tracker)
    if argument("mavlink").lower() in ("true", "1", "yes"):
        bridge_parameters = {"mavlink_url": argument("mavlink_url"), "use_sim_time": overrides["use_sim_time"]}
        for name in ("image_topic", "image_type", "init_topic"):
            if argument(name):
                bridge_parameters[name] = argument(name)
        actions.append(Node(package=PACKAGE, executable="siamcar_mavlink", name="siamcar_mavlink",
                            namespace=argument("namespace"), parameters=[bridge_parameters], output="screen",
                            emulate_tty=True))
    return actions


def _autostart(tracker: LifecycleNode) -> list:
    """Emit configure now and activate once configuring has reached inactive.

    The handler watches configuring -> inactive only, so a later deactivate (active ->
    inactive) is not undone by an automatic re-activation.
    """
    def change_state(transition_id: int) -> EmitEvent:
        return EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(tracker),
                                           transition_id=transition_id))

    activate_when_configured = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=tracker,
            start_state="configuring",
            goal_state="inactive",
            entities=[change_state(Transition.TRANSITION_ACTIVATE)],
        )
    )
    return [activate_when_configured, change_state(Transition.TRANSITION_CONFIGURE)]
