"""`siamcar_tracker`: the SiamCAR tracker as an rclpy lifecycle node.

Transitions (each does one kind of work):
- configure: read and validate the parameters, load the model, run one warm-up pass, create
  the subscriptions, publishers and the ~/reset service. Any problem fails the transition
  with the reason logged and published on ~/status; the node stays unconfigured and usable.
- activate: start processing. deactivate: stop processing and forget the target (the model
  stays loaded). cleanup: release the model. shutdown: from any state, release everything;
  the executable then exits.

The parts: ``ParameterHandler`` (declaring, validating and applying parameters),
``FramePipeline`` (reception, processing, init boxes, catch-up, outputs; its threads are
described there), ``StatusReporter`` (~/status, the stale watch, /diagnostics). The tracking
itself is ``siamcar_ros.tracking.session.TrackingSession``.

Outputs while active: ~/detection (vision_msgs/Detection2D) for every processed frame, with
one hypothesis (class_id, score = confidence) only while TRACKING; ~/debug_image (bgr8
overlay) only while someone subscribes; ~/status (TrackerStatus) for every frame, state change
and refused input, in every lifecycle state; /diagnostics about once a second while configured.
docs/node-and-parameters.md describes them.
"""
from __future__ import annotations

import contextlib
import logging
import threading

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_srvs.srv import Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from siamcar_ros.ros.camera_outputs import CameraOutputs
from siamcar_ros.ros.executor import NodeExecutor
from siamcar_ros.ros.parameter_handler import ParameterHandler
from siamcar_ros.ros.params import NodeParameters
from siamcar_ros.ros.pipeline import FramePipeline, load_tracker_for
from siamcar_ros.ros.status import StatusReporter
from siamcar_ros.ros.support import RosLogForwarder, free_model_memory

NODE_NAME = "siamcar_tracker"
_DIAGNOSTICS_PERIOD_S = 1.0
_STALE_CHECK_S = 0.05


class TrackerNode(LifecycleNode):
    def __init__(self, node_name: str = NODE_NAME, exit_on_shutdown: bool = False, **kwargs):
        """``exit_on_shutdown``: the lifecycle ``shutdown`` transition also ends the process
        (shuts the node's context down), as navigation2's lifecycle nodes do; the executable
        sets it, in-process users (tests, composed setups) leave it off."""
        super().__init__(node_name, **kwargs)
        self._exit_on_shutdown = exit_on_shutdown
        self._reporter = StatusReporter(self)
        self._parameter_handler = ParameterHandler(self, holds_model=lambda: self._pipeline is not None,
                                            refused=lambda reason: self._reporter.report(reason, level="warning"))
        self._reception_group = MutuallyExclusiveCallbackGroup()
        self._processing_group = MutuallyExclusiveCallbackGroup()
        self._log_forwarder = RosLogForwarder(self.get_logger())
        logging.getLogger("siamcar_ros").addHandler(self._log_forwarder)
        self._pipeline: FramePipeline | None = None
        self._model_interfaces: list = []       # (destroy function, handle) made at configure
        self._timer = self._frame_ready = None

    # ------------------------------------------------------------ what the node holds, read-only
    @property
    def pipeline(self) -> FramePipeline | None:
        """The configured model's frame pipeline; None while unconfigured."""
        return self._pipeline

    @property
    def session(self):
        return None if self._pipeline is None else self._pipeline.session

    @property
    def tracker(self):
        return None if self._pipeline is None else self._pipeline.tracker

    @property
    def parameters(self) -> NodeParameters | None:
        """The parameters in use (live changes included); None while unconfigured."""
        return None if self._pipeline is None else self._pipeline.params

    # ----------------------------------------------------------------- lifecycle transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            params = self._parameter_handler.read()
            tracker, device_note = load_tracker_for(params, self.get_logger())
        except Exception as error:  # any failure must leave the node unconfigured and usable
            self._reporter.report(f"configure failed: {error}", level="error")
            return TransitionCallbackReturn.FAILURE
        self._reporter.restart(params.rate_hz)
        self._pipeline = FramePipeline(self, params, tracker, device_note, self._reporter,
                                       self._parameter_handler.take_pending)
        self._reporter.pipeline = self._pipeline
        self._create_interfaces(params, self._pipeline)
        self._reporter.report(f"configured ({device_note})" if device_note else "configured")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        pipeline = self._pipeline
        period = 1.0 / pipeline.params.rate_hz
        self._timer = self.create_timer(period, pipeline.process_newest_frame, self._processing_group)
        self._frame_ready = self.create_guard_condition(pipeline.process_newest_frame, self._processing_group)
        pipeline.frame_ready, pipeline.active = self._frame_ready, True
        self._reporter.report("active: waiting for an init box")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        pipeline = self._pipeline
        pipeline.active = False
        with pipeline.lock:
            pipeline.stop_tracking()
            pipeline.buffer.clear()
        self._destroy_processing_triggers()
        self._reporter.report("inactive: processing stopped, model kept")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_everything()
        self._reporter.report("unconfigured: model released")
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_everything()
        if self._exit_on_shutdown:
            self.get_logger().info("shut down: the process ends")
            # after the transition's reply has gone out
            threading.Timer(0.2, rclpy.try_shutdown, kwargs={"context": self.context}).start()
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_everything()
        self._reporter.report("recovered from an error: unconfigured", level="error")
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self):
        logging.getLogger("siamcar_ros").removeHandler(self._log_forwarder)
        super().destroy_node()

    # ---------------------------------------------------------------- interfaces of a model
    def _create_interfaces(self, params: NodeParameters, pipeline: FramePipeline) -> None:
        reliability = (ReliabilityPolicy.RELIABLE if params.qos_reliability == "reliable"
                       else ReliabilityPolicy.BEST_EFFORT)
        image_qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=params.qos_depth, reliability=reliability)
        image_type = CompressedImage if params.image_type == "compressed" else Image
        pipeline.detection_pub = self.create_lifecycle_publisher(Detection2D, "~/detection", 10)
        if params.publish_detection_array:
            pipeline.detections_pub = self.create_lifecycle_publisher(Detection2DArray, "~/detections", 10)
        pipeline.debug_pub = self.create_lifecycle_publisher(Image, "~/debug_image", 1)
        camera = pipeline.camera = CameraOutputs(self, params, self._reporter.report)
        diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 1)
        depth = ([(self.destroy_subscription, self.create_subscription(
            Image, params.depth_topic, camera.on_depth, image_qos, callback_group=self._reception_group))]
            if params.depth_topic else [])
        self._model_interfaces = [
            (self.destroy_subscription, self.create_subscription(
                image_type, params.image_topic, pipeline.on_image, image_qos, callback_group=self._reception_group)),
            (self.destroy_subscription, self.create_subscription(
                Detection2D, params.init_topic, pipeline.on_init_box, 10, callback_group=self._processing_group)),
            (self.destroy_subscription, self.create_subscription(
                CameraInfo, camera.camera_info_topic, camera.on_camera_info, 10, callback_group=self._reception_group)),
            *depth,
            *((self.destroy_lifecycle_publisher, pub) for pub in
              (pipeline.detection_pub, pipeline.detections_pub, pipeline.debug_pub, *camera.publishers)
              if pub is not None),
            (self.destroy_service, self.create_service(Trigger, "~/reset", pipeline.on_reset,
                                                       callback_group=self._processing_group)),
            (self.destroy_timer, self.create_timer(_STALE_CHECK_S, self._reporter.check_stale,
                                                   self._reception_group)),
            (self.destroy_timer, self.create_timer(_DIAGNOSTICS_PERIOD_S,
                                                   lambda: self._reporter.publish_diagnostics(diagnostics_pub),
                                                   self._reception_group)),
            (self.destroy_publisher, diagnostics_pub),
        ]

    def _destroy_processing_triggers(self) -> None:
        if self._timer is not None:
            self.destroy_timer(self._timer)
        if self._frame_ready is not None:
            self.destroy_guard_condition(self._frame_ready)
        self._timer = self._frame_ready = None

    def _release_everything(self) -> None:
        pipeline = self._pipeline
        if pipeline is not None:
            pipeline.active = False
        self._destroy_processing_triggers()
        with pipeline.lock if pipeline is not None else contextlib.nullcontext():
            for destroy, handle in self._model_interfaces:
                destroy(handle)
            self._model_interfaces = []
            self._pipeline = self._reporter.pipeline = None
            self._reporter.restart()
            self._parameter_handler.forget_pending()
        if pipeline is not None:
            free_model_memory()


def main(args=None) -> None:
    """The `siamcar_tracker` executable. `--autostart` (before --ros-args) configures and
    activates the node at once, for setups without a lifecycle manager or `ros2 launch`."""
    import sys

    from rclpy.utilities import remove_ros_args

    argv = sys.argv if args is None else args
    autostart = "--autostart" in remove_ros_args(argv)[1:]
    rclpy.init(args=argv)
    node = TrackerNode(exit_on_shutdown=True)
    executor = NodeExecutor(num_threads=3)
    executor.add_node(node)
    if autostart and node.trigger_configure() == TransitionCallbackReturn.SUCCESS:
        node.trigger_activate()
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
