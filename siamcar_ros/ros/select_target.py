"""`select_target`: an operator tool to pick the target with the mouse.

Shows the camera topic in an OpenCV window. Press SPACE (or s) to freeze the current frame and
drag a box on it; ENTER publishes it as vision_msgs/Detection2D on the init topic, stamped with
that frame's own header, so the tracker initialises on exactly the frame the box was drawn on.
c publishes a 0 x 0 box (cancels tracking), q or ESC quits.

    ros2 run siamcar_ros select_target --image-topic /camera/image_raw
    ros2 run siamcar_ros select_target --image-topic /front/image_raw --init-topic /front/init_bbox

Needs a display and an OpenCV build with GUI support (the headless wheel has none): both are
checked at start, with a message saying what is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

import cv2
import numpy as np

from siamcar_ros.ros.frame_buffer import format_stamp, stamp_to_ns
from siamcar_ros.ros.init_box import detection_for_box

WINDOW = "select_target (SPACE: draw box, c: cancel tracking, q: quit)"


class DisplayUnavailable(RuntimeError):
    """No way to open a window here; the text says what is missing."""


def check_display(environ=os.environ) -> None:
    """Raise DisplayUnavailable unless an OpenCV window can be opened."""
    if sys.platform.startswith("linux") and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise DisplayUnavailable(
            "select_target needs a display: DISPLAY (or WAYLAND_DISPLAY) is not set. Run it on a "
            "desktop, with ssh -X, or publish the init box from a detector on the init topic instead"
        )
    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
    except cv2.error as error:
        raise DisplayUnavailable(
            "this OpenCV build cannot open windows (opencv-python-headless has no GUI): install "
            f"opencv-python (or the distribution's python3-opencv) to use select_target ({error})"
        ) from error


class _NewestFrame:
    """The newest received frame and its header, shared between the ROS thread and the UI."""

    def __init__(self):
        self._lock = threading.Lock()
        self.frame: np.ndarray | None = None
        self.header = None

    def store(self, frame: np.ndarray, header) -> None:
        with self._lock:
            self.frame, self.header = frame, header

    def get(self):
        with self._lock:
            return self.frame, self.header


def _parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="select_target", description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-topic", default="image_raw", help="camera topic (default: image_raw)")
    parser.add_argument("--init-topic", default="init_bbox", help="where to publish the box (default: init_bbox)")
    parser.add_argument("--compressed", action="store_true", help="the topic is sensor_msgs/CompressedImage")
    return parser.parse_args(argv)


def _run_window(node, newest: _NewestFrame, publisher) -> None:
    while True:
        frame, header = newest.get()
        if frame is not None:
            cv2.imshow(WINDOW, frame)
        key = cv2.waitKey(30) & 0xFF
        if key in (ord("q"), 27):
            return
        if key == ord("c") and header is not None:
            publisher.publish(detection_for_box((0, 0, 0, 0), header))
            node.get_logger().info("published a 0 x 0 box: tracking cancelled")
        if key in (ord(" "), ord("s")) and frame is not None:
            roi = cv2.selectROI(WINDOW, frame, showCrosshair=True, fromCenter=False)
            if roi[2] > 0 and roi[3] > 0:
                publisher.publish(detection_for_box(roi, header))
                node.get_logger().info(f"published init box {tuple(roi)} on the frame stamped "
                                       f"{format_stamp(stamp_to_ns(header.stamp))}")


def main(argv=None) -> int:
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from rclpy.utilities import remove_ros_args
    from sensor_msgs.msg import CompressedImage, Image
    from vision_msgs.msg import Detection2D

    from siamcar_ros.ros.image_conversion import ImageConversionError, compressed_image_to_bgr, raw_image_to_bgr

    argv = sys.argv if argv is None else argv
    arguments = _parse_arguments(remove_ros_args(argv)[1:])
    try:
        check_display()
    except DisplayUnavailable as error:
        print(f"select_target: {error}", file=sys.stderr)
        return 2
    rclpy.init(args=argv)
    node = rclpy.create_node("select_target")
    newest = _NewestFrame()
    convert = compressed_image_to_bgr if arguments.compressed else raw_image_to_bgr

    def on_image(msg):
        try:
            newest.store(convert(msg), msg.header)
        except ImageConversionError as error:
            node.get_logger().warning(f"image refused: {error}", throttle_duration_sec=2.0)

    node.create_subscription(CompressedImage if arguments.compressed else Image, arguments.image_topic,
                             on_image, qos_profile_sensor_data)
    publisher = node.create_publisher(Detection2D, arguments.init_topic, 10)
    spinner = threading.Thread(target=rclpy.spin, args=(node,), daemon=True)
    spinner.start()
    try:
        _run_window(node, newest, publisher)
    except KeyboardInterrupt:
        pass
    finally:
        cv2.destroyAllWindows()
        node.destroy_node()
        rclpy.try_shutdown()
        spinner.join(timeout=5.0)     # the spin ends with the context; no thread left in rclpy
    return 0


if __name__ == "__main__":
    sys.exit(main())
