"""A configured model's frames: reception into the frame buffer, processing of the newest one,
init boxes (with catch-up over the frames buffered since), ~/reset, and the outputs.

Threads: ``on_image`` only stores the message (its own callback group), so reception never
waits for inference; processing, init boxes and ~/reset share one mutually exclusive group.
A frame's arrival triggers processing at once (``frame_ready``), at most ``rate_hz`` times a
second; a timer at ``rate_hz`` picks up a frame that arrived too soon after the previous one.
The session's whole-frame checks and extra search crops run only while they fit in
``_CHECK_SHARE`` of the frame period, so that they never make the node drop frames.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
from sensor_msgs.msg import CompressedImage, Image
from vision_msgs.msg import Detection2D, Detection2DArray

from siamcar_ros.ros.frame_buffer import FrameBuffer, FrameLookupError, FrameOrderError, format_stamp, stamp_to_ns
from siamcar_ros.ros.image_conversion import (ImageConversionError, bgr_to_image_fields, compressed_image_to_bgr,
                                              raw_image_to_bgr)
from siamcar_ros.ros.init_box import InitBoxError, init_box_to_xywh
from siamcar_ros.ros.messages import detection_message
from siamcar_ros.ros.overlay import draw_overlay
from siamcar_ros.ros.params import NodeParameters, build_tracker_params, distractor_settings, session_settings
from siamcar_ros.ros.status import StatusReporter
from siamcar_ros.tracking.session import SessionResult, TrackingSession, TrackState

_RATE_SLACK = 0.8  # a frame arriving after 80% of the period is processed at once (jitter)
_CATCH_UP_BUDGET_S = 0.5
_CHECK_SHARE = 0.5   # checks and extra search crops must end within this share of the period


class FramePipeline:
    """Frames in, detections, debug images and status out, for one configured model. The
    node attaches the publishers (``detection_pub``, ``detections_pub``, ``debug_pub``) and the
    ``frame_ready`` guard condition; ``active`` gates processing."""

    def __init__(self, node, params: NodeParameters, tracker, device_note: str, status: StatusReporter,
                 take_pending: Callable[[], NodeParameters | None]):
        self._node, self._status, self._take_pending = node, status, take_pending
        self.params, self.tracker, self.device_note = params, tracker, device_note
        self.session = TrackingSession(tracker, *session_settings(params))
        self.buffer = FrameBuffer(params.frame_buffer_length, max_bytes=int(params.frame_buffer_megabytes * 1e6))
        self.lock = threading.RLock()  # the session and buffer: processing vs transitions
        self.active = False
        self.frame_ready = None
        self.detection_pub = self.detections_pub = self.debug_pub = None
        self.camera = None      # CameraOutputs, attached by the node
        self.track_id = 0
        self.debug_images_rendered = 0
        self._last_process_start = 0.0

    def _apply_pending(self) -> None:
        """Live parameter changes accepted since the last frame, from this frame on."""
        params = self._take_pending()
        if params is None:
            return
        self.tracker.update_params(build_tracker_params(params))
        self.tracker.distractors.configure(distractor_settings(params))
        self.session.configure(*session_settings(params))
        self.params = params
        self._node.get_logger().info("tracking parameters updated")

    # --------------------------------------------------------------------------- reception
    def on_image(self, msg) -> None:
        if not self.active:
            return
        stamp_ns = stamp_to_ns(msg.header.stamp)
        policy = self.params.stamp_policy
        if policy == "arrival" or (policy == "auto" and stamp_ns == 0):
            # cameras that stamp 0 (or not at all): the arrival time on the node's clock
            # (simulated time with use_sim_time), written into the header the outputs carry
            now = self._node.get_clock().now()
            msg.header.stamp = now.to_msg()
            stamp_ns = now.nanoseconds
        try:
            frame = self.buffer.push(stamp_ns, msg, time.monotonic_ns(), len(msg.data))
        except FrameOrderError as error:
            self._status.counters.dropped_refused += 1
            self._status.report(f"frame dropped: {error}", header=msg.header, level="warning", throttle=True)
            return
        if frame.after_clock_jump:
            self._status.report(f"the clock jumped back (frame stamped {format_stamp(stamp_ns)}, a bag "
                                "looping or a simulator reset?): frame buffer cleared, tracking goes on",
                                header=msg.header, level="warning", throttle=True)
        frame_ready = self.frame_ready
        if frame_ready is not None:
            try:
                frame_ready.trigger()
            except Exception:  # destroyed by a concurrent deactivate: nothing left to wake
                pass

    # -------------------------------------------------------------------------- processing
    def process_newest_frame(self) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if now - self._last_process_start < _RATE_SLACK / self.params.rate_hz:
            return  # the rate_hz timer will pick this frame up
        with self.lock:
            self._apply_pending()
            if self.session.state == TrackState.IDLE:
                return  # frames stay buffered for an init box; none counts as dropped
            frame, skipped = self.buffer.take_newest()
            if frame is None:
                return
            self._last_process_start = now
            self._status.counters.dropped_stale += skipped
            self._track_frame(frame.message)

    def _track_frame(self, msg) -> None:
        started = time.perf_counter()
        image = self._convert_or_report(msg)
        if image is None:
            return
        width, height = self.session.report().frame_size
        if image.shape[:2] != (height, width):
            self._status.report(
                f"frame {image.shape[1]}x{image.shape[0]} refused: the target was initialised on "
                f"{width}x{height} frames; send a new init box to track at the new size",
                header=msg.header, level="warning", throttle=True)
            return
        step_started = time.perf_counter()
        # whole-frame checks and extra search crops only while they fit in this share of the period
        deadline = time.monotonic() - (step_started - started) + _CHECK_SHARE / self.params.rate_hz
        try:
            result = self.session.step(image, deadline)
        except Exception as error:  # the node must outlive a failing step; the target is kept
            self._status.report(f"tracking step failed: {error}", header=msg.header, level="error", throttle=True)
            return
        tracker_ms = (time.perf_counter() - step_started) * 1e3
        counters = self._status.counters
        counters.processed += 1
        message = result.message
        was_stale = self._status.stale.processed()
        if was_stale is not None and not message:
            message = f"frames processed again after {was_stale:.1f} s"
        counters.add_frame_time(started)
        self._publish_detection(msg.header, result)
        self._publish_debug_image(msg.header, image, result)
        geometry = None if self.camera is None else self.camera.publish(
            msg.header, (image.shape[1], image.shape[0]), result, self.track_id, self.params.class_id)
        if result.change is not None:
            self._node.get_logger().info(result.message)
        latency_ms = (time.perf_counter() - started) * 1e3
        counters.latency_ms, counters.tracker_ms = latency_ms, tracker_ms
        self._status.publish(msg.header, image.shape, message, latency_ms, tracker_ms, geometry)

    def _convert_or_report(self, msg) -> np.ndarray | None:
        try:
            return self._convert_or_raise(msg)
        except ImageConversionError as error:
            self._status.report(f"image refused: {error}", header=msg.header, level="warning", throttle=True)
            return None

    def _convert_or_raise(self, msg) -> np.ndarray:
        if isinstance(msg, CompressedImage):
            return compressed_image_to_bgr(msg, self.params.max_image_pixels)
        return raw_image_to_bgr(msg, self.params.max_image_pixels)

    # ------------------------------------------------------------------ init box and reset
    def on_init_box(self, msg: Detection2D) -> None:
        if not self.active:
            self._status.report("init box ignored: the node is not active", level="warning")
            return
        with self.lock:
            self._apply_pending()
            try:
                frame = self.buffer.find(stamp_to_ns(msg.header.stamp), int(self.params.init_stamp_tolerance_ms * 1e6),
                                         max_age_ns=int(self.params.init_max_age_s * 1e9), now_ns=time.monotonic_ns())
                image = self._convert_or_raise(frame.message)
                box = init_box_to_xywh(msg.bbox.center.position.x, msg.bbox.center.position.y,
                                       msg.bbox.size_x, msg.bbox.size_y, image.shape[1], image.shape[0])
                if box is None:
                    self.stop_tracking()
                    self._status.report("tracking cancelled by a 0 x 0 init box", header=frame.message.header)
                    return
                self._start_tracking(frame, image, box)
            except (FrameLookupError, ImageConversionError, InitBoxError, ValueError) as error:
                # ValueError covers the tracker's own input checks (TrackerInputError).
                self._status.report(f"init box refused: {error}", level="warning")
            except Exception as error:  # e.g. out of GPU memory: report, keep running
                self._status.report(f"init failed: {error}", level="error")

    def _start_tracking(self, frame, image: np.ndarray, box) -> None:
        # before the session holds the target, so the stale watchdog never sees an old time
        self._status.stale.processed()
        self.session.start(image, box)
        self.track_id += 1
        self.buffer.mark_taken(frame.sequence)
        caught_up = self._catch_up(frame)
        self._status.report(
            f"tracking target {self.track_id} from the frame stamped {format_stamp(frame.stamp_ns)}"
            + (f" (caught up over {caught_up} newer buffered frames)" if caught_up else ""),
            header=frame.message.header)

    def _catch_up(self, init_frame) -> int:
        """Track silently through buffered frames newer than the init frame, except the newest
        (left for processing and publication, so the tracker does not jump from an old frame
        to the live one), for at most _CATCH_UP_BUDGET_S."""
        def images():
            for frame in self.buffer.newer_than(init_frame.stamp_ns)[:-1]:
                self.buffer.mark_taken(frame.sequence)
                try:
                    yield self._convert_or_raise(frame.message)
                except ImageConversionError:
                    yield None

        caught_up = self.session.catch_up(images(), _CATCH_UP_BUDGET_S)
        self._status.stale.processed()
        return caught_up

    def stop_tracking(self) -> None:
        self.session.stop()

    def on_reset(self, request, response):
        with self.lock:
            self.stop_tracking()
            self.buffer.clear()
        response.success, response.message = True, "tracking reset: waiting for an init box"
        self._status.report(response.message)
        return response

    # ------------------------------------------------------------------------------ output
    def _publish_detection(self, header, target: SessionResult) -> None:
        detection = detection_message(target, header, self.track_id, self.params.class_id)
        self.detection_pub.publish(detection)
        if self.detections_pub is not None:
            self.detections_pub.publish(Detection2DArray(header=header, detections=[detection]))

    def _publish_debug_image(self, header, image: np.ndarray, target: SessionResult) -> None:
        if not self.params.publish_debug_image or self.debug_pub.get_subscription_count() == 0:
            return
        self.debug_images_rendered += 1
        overlay = draw_overlay(image, target.bbox, target.state, target.confidence,
                               self._status.counters.frames_per_second)
        self.debug_pub.publish(Image(header=header, **bgr_to_image_fields(overlay)))


def load_tracker_for(params: NodeParameters, logger):
    """The tracker the parameters describe, warmed up; returns it and a note on where and how
    it runs (device fallback, accelerator, box verifier). Raises RuntimeError naming the
    checkpoint and backbone."""
    from siamcar_ros.tracking import load_tracker
    from siamcar_ros.device import select_device

    device = select_device(params.device)
    import os

    import torch

    # before the tracker: its ONNX Runtime sessions take torch's count when they are built
    torch.set_num_threads(params.threads or os.cpu_count() or 1)
    note = f"running on {device}"
    if params.device.startswith("cuda") and device.type != "cuda":
        note = f"device '{params.device}' requested but CUDA is not available: running on cpu"
        logger.warning(note)
    calibration = None
    if params.precision != "fp32":  # bf16 and int8 are set up on calibration crops; fp32 needs none
        from siamcar_ros.data.procedural.calibration import calibration_crops as calibration
    try:
        tracker = load_tracker(checkpoint=params.checkpoint or None,
                               backbone=params.backbone or None, device=str(device), half=params.half,
                               params=build_tracker_params(params), accelerator=params.accelerator,
                               precision=params.precision, exported=params.exported_network or None,
                               calibration=calibration)
        tracker.distractors.configure(distractor_settings(params))
        TrackingSession(tracker, *session_settings(params)).warm_up()
    except Exception as error:
        # Name the file and backbone: the loader's own text may not (e.g. a corrupt file).
        raise RuntimeError(f"could not load the model (checkpoint '{params.checkpoint or 'bundled default'}', "
                           f"backbone '{params.backbone or 'as stored'}'): {error}") from error
    verifier = ("box verifier in the confidence" if tracker.verifier is not None else
                "no box verifier file found: the confidence goes without it")
    return tracker, f"{note}; {tracker.acceleration.note}; {verifier}"
