"""SiamCAR single-object tracking: network, tracker, evaluation, training and a ROS 2 node.

Everything except ``siamcar_ros.ros`` imports without rclpy.
"""

__version__ = "0.1.0"
