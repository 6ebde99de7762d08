"""`siamcar_tracker`: the SiamCAR tracker as an rclpy lifecycle node.

Transitions (each does one kind of work):
- configure: read and validate the parameters, load the model, run one warm-up pass, create
  the subscriptions, publishers and the ~/reset service. Any problem fails the transition
  with the reason logged and published on ~/status; the node stays unconfigured and usable.
- activate: start processing (frames are stored and tracked). deactivate: stop processing and
  forget the target (the model stays loaded). cleanup: release the model (and cached GPU
  memory). shutdown: from any state, release everything; the executable then exits.

Threads: the image callback only stores the message in the frame buffer (its own callback
group), so reception never waits for inference. Processing (newest unprocessed frame only),
init boxes and ~/reset share one mutually exclusive group, run by a MultiThreadedExecutor
(`NodeExecutor`, see executor.py).
A frame's arrival triggers processing at once (a guard condition), at most `rate_hz` times a
second; a timer at `rate_hz` picks up a frame that arrived too soon after the previous one.
The session's whole-frame checks and a searching frame's search crops after the first (see
session.py) run only when they fit in half the frame period, so that they never make the node
drop frames.

Outputs while active:
- ~/detection (vision_msgs/Detection2D) for every processed frame, header = the image's
  header, bbox = the tracked box. While TRACKING `results` holds one hypothesis (class_id
  parameter, score = confidence). While LOST or SEARCHING the box is the tracker's last
  estimate and `results` is EMPTY: no confirmed target. Nothing is published while IDLE.

The tracking itself (state machine, loss detection, re-detection, catch-up, follow-me figures)
is `siamcar_ros.tracking.session.TrackingSession`; the node converts messages and wires it.
- ~/debug_image (bgr8 overlay), rendered only while someone subscribes.
- ~/status (TrackerStatus): every processed frame, every state change and every refused
  input or parameter; published in every lifecycle state (configure failures included);
  transient local, so a late subscriber gets the last one.
- /diagnostics (diagnostic_msgs/DiagnosticArray) about once a second while configured: the
  state, rates, latency, drops, device and model, as diagnostic aggregators expect.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time

import numpy as np
import rclpy
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import CompressedImage, Image
from std_srvs.srv import Trigger
from vision_msgs.msg import Detection2D, Detection2DArray

from siamcar_ros.msg import TrackerStatus
from siamcar_ros.ros.executor import NodeExecutor
from siamcar_ros.ros.frame_buffer import (
    FrameBuffer,
    FrameLookupError,
    FrameOrderError,
    format_stamp,
    stamp_to_ns,
)
from siamcar_ros.ros.image_conversion import (
    ImageConversionError,
    bgr_to_image_fields,
    compressed_image_to_bgr,
    raw_image_to_bgr,
)
from siamcar_ros.ros.init_box import InitBoxError, init_box_to_xywh
from siamcar_ros.ros.messages import (Counters, StaleWatch, TargetReport, detection_message,
                                      diagnostics_message, status_message)
from siamcar_ros.ros.overlay import draw_overlay
from siamcar_ros.ros.support import RosLogForwarder, free_model_memory, installed_model, log
from siamcar_ros.ros.params import (
    CONFIGURE_PARAMETERS,
    PARAMETER_SPECS,
    SPECS_BY_NAME,
    NodeParameters,
    ParameterError,
    build_tracker_params,
    session_settings,
    validate_parameters,
)
from siamcar_ros.tracking.session import TrackingSession, TrackState

NODE_NAME = "siamcar_tracker"
_RATE_SLACK = 0.8  # a frame arriving after 80% of the period is processed at once (jitter)
_LOG_THROTTLE_S = 2.0
_CATCH_UP_BUDGET_S = 0.5
_CHECK_SHARE = 0.5   # checks and extra search crops must end within this share of the period
_DIAGNOSTICS_PERIOD_S = 1.0
_STALE_CHECK_S = 0.05


class TrackerNode(LifecycleNode):
    def __init__(self, node_name: str = NODE_NAME, exit_on_shutdown: bool = False, **kwargs):
        """``exit_on_shutdown``: the lifecycle ``shutdown`` transition also ends the process
        (shuts the node's context down), as navigation2's lifecycle nodes do; the executable
        sets it, in-process users (tests, composed setups) leave it off."""
        super().__init__(node_name, **kwargs)
        self._exit_on_shutdown = exit_on_shutdown
        for spec in PARAMETER_SPECS:
            # Dynamic typing: `rate_hz: 15` (an integer) is fine, and a wrong type is refused by
            # validate_parameters with the parameter's name instead of aborting the process.
            descriptor = ParameterDescriptor(description=spec.description, dynamic_typing=True,
                                             additional_constraints=spec.when)
            self.declare_parameter(spec.name, spec.default, descriptor)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        # transient local: a late subscriber (ros2 topic echo, a controller started later) gets
        # the last status at once, configure failures included
        status_qos = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self._status_pub = self.create_publisher(TrackerStatus, "~/status", status_qos)
        self._lock = threading.RLock()  # tracker, monitor and counters: processing vs transitions
        self._pending_lock = threading.Lock()  # parameter changes waiting for the next frame
        self._reception_group = MutuallyExclusiveCallbackGroup()
        self._processing_group = MutuallyExclusiveCallbackGroup()
        self._logged_at: dict[str, float] = {}
        self._log_forwarder = RosLogForwarder(self.get_logger())
        logging.getLogger("siamcar_ros").addHandler(self._log_forwarder)
        self._clear_configuration()

    # ----------------------------------------------------------------- lifecycle transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            params = self._read_parameters()
            tracker, device_note = self._load_tracker(params)
        except Exception as error:  # any failure must leave the node unconfigured and usable
            self._report(f"configure failed: {error}", level="error")
            return TransitionCallbackReturn.FAILURE
        with self._lock:
            self._params, self._tracker, self._device_note = params, tracker, device_note
            self._session = TrackingSession(tracker, *session_settings(params))
            self._buffer = FrameBuffer(params.frame_buffer_length,
                                       max_bytes=int(params.frame_buffer_megabytes * 1e6))
            self._counters, self._stale = Counters(), StaleWatch(params.rate_hz)
        self._create_interfaces(params)
        self._report(f"configured ({device_note})" if device_note else "configured")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        period = 1.0 / self._params.rate_hz
        self._timer = self.create_timer(period, self._process_newest_frame, self._processing_group)
        self._frame_ready = self.create_guard_condition(self._process_newest_frame, self._processing_group)
        self._active = True
        self._report("active: waiting for an init box")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._active = False
        with self._lock:
            self._stop_tracking()
            self._buffer.clear()
        self._destroy_processing_triggers()
        self._report("inactive: processing stopped, model kept")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release_everything()
        self._report("unconfigured: model released")
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
        self._report("recovered from an error: unconfigured", level="error")
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self):
        logging.getLogger("siamcar_ros").removeHandler(self._log_forwarder)
        super().destroy_node()

    # ------------------------------------------------------------------ configure helpers
    def _parameter_values(self) -> dict:
        return {s.name: self.get_parameter(s.name).value for s in PARAMETER_SPECS}

    def _read_parameters(self) -> NodeParameters:
        return validate_parameters(self._parameter_values())

    def _load_tracker(self, params: NodeParameters):
        from siamcar_ros.tracking import load_tracker
        from siamcar_ros.tracking.device import select_device

        device = select_device(params.device)
        note = f"running on {device}"
        if params.device.startswith("cuda") and device.type != "cuda":
            note = f"device '{params.device}' requested but CUDA is not available: running on cpu"
            self.get_logger().warning(note)
        try:
            tracker = load_tracker(
                checkpoint=installed_model(params.checkpoint) or params.checkpoint or None,
                backbone=params.backbone or None,
                device=str(device),
                half=params.half,
                params=build_tracker_params(params),
                accelerator=params.accelerator,
                precision=params.precision,
                exported=params.exported_network or None,
            )
            TrackingSession(tracker, *session_settings(params)).warm_up()
        except Exception as error:
            # Name the file and backbone: the loader's own text may not (e.g. a corrupt file).
            raise RuntimeError(
                f"could not load the model (checkpoint '{params.checkpoint or 'bundled default'}', "
                f"backbone '{params.backbone or 'as stored'}'): {error}"
            ) from error
        verifier = ("box verifier in the confidence" if tracker.verifier is not None else
                    "no box verifier file found: the confidence goes without it")
        return tracker, f"{note}; {tracker.acceleration.note}; {verifier}"

    def _create_interfaces(self, params: NodeParameters) -> None:
        image_qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=params.qos_depth,
            reliability=ReliabilityPolicy.RELIABLE
            if params.qos_reliability == "reliable"
            else ReliabilityPolicy.BEST_EFFORT,
        )
        image_type = CompressedImage if params.image_type == "compressed" else Image
        self._image_sub = self.create_subscription(
            image_type, params.image_topic, self._on_image, image_qos, callback_group=self._reception_group
        )
        self._init_sub = self.create_subscription(
            Detection2D, params.init_topic, self._on_init_box, 10, callback_group=self._processing_group
        )
        self._detection_pub = self.create_lifecycle_publisher(Detection2D, "~/detection", 10)
        if params.publish_detection_array:
            self._detections_pub = self.create_lifecycle_publisher(Detection2DArray, "~/detections", 10)
        self._debug_pub = self.create_lifecycle_publisher(Image, "~/debug_image", 1)
        self._reset_srv = self.create_service(
            Trigger, "~/reset", self._on_reset, callback_group=self._processing_group
        )
        self._stale_timer = self.create_timer(_STALE_CHECK_S, self._check_stale, self._reception_group)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 1)
        self._diagnostics_timer = self.create_timer(_DIAGNOSTICS_PERIOD_S, self._publish_diagnostics,
                                                    self._reception_group)

    def _clear_configuration(self) -> None:
        self._params: NodeParameters | None = None
        self._pending_params: NodeParameters | None = None
        self._tracker = None
        self._session = TrackingSession(None)
        self._buffer = FrameBuffer(1)
        self._image_sub = self._init_sub = self._reset_srv = None
        self._diagnostics_pub = self._diagnostics_timer = self._stale_timer = None
        self._stale = StaleWatch()
        self._device_note = ""
        self._detection_pub = self._debug_pub = self._detections_pub = None
        self._timer = self._frame_ready = None
        self._active = False
        self._counters = Counters()
        self._target = TargetReport()
        self._track_id = 0
        self._last_process_start = 0.0
        self._debug_images_rendered = 0

    def _destroy_processing_triggers(self) -> None:
        if self._timer is not None:
            self.destroy_timer(self._timer)
        if self._frame_ready is not None:
            self.destroy_guard_condition(self._frame_ready)
        self._timer = self._frame_ready = None

    def _release_everything(self) -> None:
        self._active = False
        self._destroy_processing_triggers()
        with self._lock:
            for sub in (self._image_sub, self._init_sub):
                if sub is not None:
                    self.destroy_subscription(sub)
            for pub in (self._detection_pub, self._debug_pub, self._detections_pub):
                if pub is not None:
                    self.destroy_lifecycle_publisher(pub)
            if self._reset_srv is not None:
                self.destroy_service(self._reset_srv)
            for timer in (self._diagnostics_timer, self._stale_timer):
                if timer is not None:
                    self.destroy_timer(timer)
            if self._diagnostics_pub is not None:
                self.destroy_publisher(self._diagnostics_pub)
            had_model = self._tracker is not None
            self._clear_configuration()
        if had_model:
            free_model_memory()

    # ------------------------------------------------------------------------- parameters
    def _on_set_parameters(self, changed) -> SetParametersResult:
        changes = {p.name: p.value for p in changed if p.name in SPECS_BY_NAME}
        if not changes:
            return SetParametersResult(successful=True)
        holds_model = self._tracker is not None
        needs_reconfigure = sorted(set(changes) & CONFIGURE_PARAMETERS)
        if holds_model and needs_reconfigure:
            return self._refuse_parameters(changes,
                f"parameter '{needs_reconfigure[0]}' needs a new model or new subscriptions and "
                "cannot change while the node is configured: deactivate and cleanup, set it, "
                "then configure again"
            )
        try:
            params = validate_parameters({**self._parameter_values(), **changes})
        except (ParameterError, ValueError) as error:
            return self._refuse_parameters(changes, str(error))
        if holds_model:
            with self._pending_lock:  # applied by the processing thread before the next frame
                self._pending_params = params
        return SetParametersResult(successful=True)

    def _refuse_parameters(self, changes: dict, reason: str) -> SetParametersResult:
        # rclpy has already given the descriptors of dynamically typed parameters the refused
        # values' types; put back the types of the values they keep
        for name in changes:
            self.describe_parameter(name).type = self.get_parameter(name).type_.value
        self._report(f"parameter change refused: {reason}", level="warning")
        return SetParametersResult(successful=False, reason=reason)

    def _apply_pending_params(self) -> None:
        with self._pending_lock:
            params, self._pending_params = self._pending_params, None
        if params is None or self._tracker is None:
            return
        self._tracker.update_params(build_tracker_params(params))
        self._session.configure(*session_settings(params))
        self._params = params
        self.get_logger().info("tracking parameters updated")

    # --------------------------------------------------------------------------- reception
    def _on_image(self, msg) -> None:
        if not self._active:
            return
        stamp_ns = stamp_to_ns(msg.header.stamp)
        policy = self._params.stamp_policy
        if policy == "arrival" or (policy == "auto" and stamp_ns == 0):
            # cameras that stamp 0 (or not at all): the arrival time on the node's clock
            # (simulated time with use_sim_time), written into the header the outputs carry
            now = self.get_clock().now()
            msg.header.stamp = now.to_msg()
            stamp_ns = now.nanoseconds
        try:
            frame = self._buffer.push(stamp_ns, msg, time.monotonic_ns(), len(msg.data))
        except FrameOrderError as error:
            self._counters.dropped_refused += 1
            self._report(f"frame dropped: {error}", header=msg.header, level="warning", throttle=True)
            return
        if frame.after_clock_jump:
            self._report(f"the clock jumped back (frame stamped {format_stamp(stamp_ns)}, a bag "
                         "looping or a simulator reset?): frame buffer cleared, tracking goes on",
                         header=msg.header, level="warning", throttle=True)
        frame_ready = self._frame_ready
        if frame_ready is not None:
            try:
                frame_ready.trigger()
            except Exception:  # destroyed by a concurrent deactivate: nothing left to wake
                pass

    # -------------------------------------------------------------------------- processing
    def _process_newest_frame(self) -> None:
        if not self._active or self._params is None:
            return
        now = time.monotonic()
        if now - self._last_process_start < _RATE_SLACK / self._params.rate_hz:
            return  # the rate_hz timer will pick this frame up
        with self._lock:
            self._apply_pending_params()
            if self._session.state == TrackState.IDLE:
                return  # frames stay buffered for an init box; none counts as dropped
            frame, skipped = self._buffer.take_newest()
            if frame is None:
                return
            self._last_process_start = now
            self._counters.dropped_stale += skipped
            self._track_frame(frame.message)

    def _track_frame(self, msg) -> None:
        started = time.perf_counter()
        image = self._convert_or_report(msg)
        if image is None:
            return
        if image.shape[:2] != self._target.image_size:
            height, width = self._target.image_size
            self._report(
                f"frame {image.shape[1]}x{image.shape[0]} refused: the target was initialised on "
                f"{width}x{height} frames; send a new init box to track at the new size",
                header=msg.header, level="warning", throttle=True,
            )
            return
        step_started = time.perf_counter()
        # whole-frame checks and extra search crops only while they fit in this share of the period
        deadline = time.monotonic() - (step_started - started) + _CHECK_SHARE / self._params.rate_hz
        try:
            result = self._session.step(image, deadline)
        except Exception as error:  # the node must outlive a failing step; the target is kept
            self._report(f"tracking step failed: {error}", header=msg.header, level="error", throttle=True)
            return
        tracker_ms = (time.perf_counter() - step_started) * 1e3
        self._counters.processed += 1
        message = result.message
        was_stale = self._stale.processed()
        if was_stale is not None and not message:
            message = f"frames processed again after {was_stale:.1f} s"
        self._target.bbox = result.bbox
        self._target.confidence, self._target.centerness = result.confidence, result.centerness
        self._counters.add_frame_time(started)
        self._publish_detection(msg.header)
        self._publish_debug_image(msg.header, image)
        if result.change is not None:
            self.get_logger().info(result.message)
        latency_ms = (time.perf_counter() - started) * 1e3
        self._counters.latency_ms, self._counters.tracker_ms = latency_ms, tracker_ms
        self._publish_status(msg.header, image.shape, message, latency_ms, tracker_ms)

    def _convert_or_report(self, msg) -> np.ndarray | None:
        try:
            return self._convert_or_raise(msg)
        except ImageConversionError as error:
            self._report(f"image refused: {error}", header=msg.header, level="warning", throttle=True)
            return None

    # ------------------------------------------------------------------ init box and reset
    def _on_init_box(self, msg: Detection2D) -> None:
        if not self._active:
            self._report("init box ignored: the node is not active", level="warning")
            return
        with self._lock:
            self._apply_pending_params()
            stamp_ns = stamp_to_ns(msg.header.stamp)
            try:
                frame = self._buffer.find(stamp_ns, int(self._params.init_stamp_tolerance_ms * 1e6),
                                          max_age_ns=int(self._params.init_max_age_s * 1e9),
                                          now_ns=time.monotonic_ns())
                image = self._convert_or_raise(frame.message)
                box = init_box_to_xywh(
                    msg.bbox.center.position.x, msg.bbox.center.position.y,
                    msg.bbox.size_x, msg.bbox.size_y, image.shape[1], image.shape[0],
                )
                if box is None:
                    self._stop_tracking()
                    self._report("tracking cancelled by a 0 x 0 init box", header=frame.message.header)
                    return
                self._start_tracking(frame, image, box)
            except (FrameLookupError, ImageConversionError, InitBoxError, ValueError) as error:
                # ValueError covers the tracker's own input checks (TrackerInputError).
                self._report(f"init box refused: {error}", level="warning")
            except Exception as error:  # e.g. out of GPU memory: report, keep running
                self._report(f"init failed: {error}", level="error")

    def _convert_or_raise(self, msg) -> np.ndarray:
        if isinstance(msg, CompressedImage):
            return compressed_image_to_bgr(msg, self._params.max_image_pixels)
        return raw_image_to_bgr(msg, self._params.max_image_pixels)

    def _start_tracking(self, frame, image: np.ndarray, box) -> None:
        # before the session holds the target, so the stale watchdog never sees an old time
        self._stale.processed()
        self._session.start(image, box)
        self._track_id += 1
        self._target = TargetReport(tuple(box), 1.0, 1.0, image.shape[:2])
        self._buffer.mark_taken(frame.sequence)
        caught_up = self._catch_up(frame)
        self._report(
            f"tracking target {self._track_id} from the frame stamped {format_stamp(frame.stamp_ns)}"
            + (f" (caught up over {caught_up} newer buffered frames)" if caught_up else ""),
            header=frame.message.header,
        )

    def _catch_up(self, init_frame) -> int:
        """Track silently through buffered frames newer than the init frame, except the newest.

        The newest one is left for normal processing (and publication), so the tracker does not
        jump from an old frame straight to the live one. A slow model stops catching up after
        _CATCH_UP_BUDGET_S and jumps the rest, so that live processing is not held up.
        """
        def images():
            for frame in self._buffer.newer_than(init_frame.stamp_ns)[:-1]:
                self._buffer.mark_taken(frame.sequence)
                try:
                    yield self._convert_or_raise(frame.message)
                except ImageConversionError:
                    yield None

        caught_up = self._session.catch_up(images(), _CATCH_UP_BUDGET_S)
        self._target.bbox = self._session.bbox
        self._stale.processed()
        return caught_up

    def _stop_tracking(self) -> None:
        if self._tracker is not None:
            self._session.stop()
        self._target = TargetReport()

    def _on_reset(self, request, response):
        with self._lock:
            if self._tracker is None:
                response.success, response.message = False, "not configured: nothing to reset"
                return response
            self._stop_tracking()
            self._buffer.clear()
        response.success, response.message = True, "tracking reset: waiting for an init box"
        self._report(response.message)
        return response

    # ------------------------------------------------------------------------------ output
    def _publish_detection(self, header) -> None:
        detection = detection_message(self._target_now(), header, self._track_id, self._params.class_id)
        self._detection_pub.publish(detection)
        if self._detections_pub is not None:
            self._detections_pub.publish(Detection2DArray(header=header, detections=[detection]))

    def _publish_debug_image(self, header, image: np.ndarray) -> None:
        if not self._params.publish_debug_image or self._debug_pub.get_subscription_count() == 0:
            return
        self._debug_images_rendered += 1
        overlay = draw_overlay(image, self._target.bbox, self._session.state, self._target.confidence,
                               self._counters.frames_per_second)
        self._debug_pub.publish(Image(header=header, **bgr_to_image_fields(overlay)))

    def _target_now(self) -> TargetReport:
        """The target as last tracked, with the session's state."""
        return TargetReport(self._target.bbox, self._target.confidence, self._target.centerness,
                            self._target.image_size, self._session.state, self._session.frames_since_loss)

    def _holding_target(self) -> bool:
        return self._active and self._session.state != TrackState.IDLE

    def _stale_message(self) -> str | None:
        stale_for = self._stale.stale_for(self._holding_target())
        return None if stale_for is None else self._stale.message(stale_for)

    def _publish_status(self, header=None, shape=None, message: str = "", latency_ms: float = 0.0,
                        tracker_ms: float = 0.0) -> None:
        self._status_pub.publish(status_message(self._target_now(), self._counters, message, header, shape,
                                                self._stale_message(), latency_ms, tracker_ms))

    def _check_stale(self) -> None:
        """Announce a stale target at once, then once a second while it stays stale."""
        due = self._stale.announcement(self._holding_target())
        if due is not None:
            message, first = due
            if first:
                self.get_logger().warning(message)
            self._publish_status(message=message)

    def _publish_diagnostics(self) -> None:
        if self._diagnostics_pub is None or self._params is None:
            return
        self._diagnostics_pub.publish(diagnostics_message(
            self.get_fully_qualified_name(), self._target_now(), self._counters, self._active,
            self._stale_message(), self._device_note, self._params.checkpoint or "default",
            self._params.image_topic, self.get_clock().now().to_msg()))

    def _first_in_a_while(self, message: str) -> bool:
        """False when the same problem (numbers aside) was logged in the last few seconds."""
        key = re.sub(r"[0-9.]+", "#", message)
        now = time.monotonic()
        if now - self._logged_at.get(key, -math.inf) < _LOG_THROTTLE_S:
            return False
        self._logged_at[key] = now
        return True

    def _report(self, message: str, header=None, level: str = "info", throttle: bool = False) -> None:
        """Log `message` and publish it in a status message (the node's one way to complain)."""
        if header is not None and level != "info":
            self._stale.last_problem = message
        if not throttle or self._first_in_a_while(message):
            log(self.get_logger(), level, message)
        self._publish_status(header, self._target.image_size if header is not None else None, message)


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
