"""SiamCAR single-object tracking: network, tracker, evaluation, training and a ROS 2 node.

Everything except ``siamcar_ros.ros`` imports without rclpy.
"""

__version__ = "0.1.0"

# The colcon build generates the ROS interfaces (siamcar_ros.msg) into a package of the same
# name in its install space. Extending __path__ with every siamcar_ros folder on sys.path lets
# the checkout (first on PYTHONPATH in env.sh) serve its own modules and the generated ones.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
