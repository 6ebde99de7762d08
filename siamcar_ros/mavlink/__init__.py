"""MAVLink's camera-tracking protocol for the tracker, without ROS: ground-station commands turned
into init boxes, and the tracker's status turned into ``CAMERA_TRACKING_IMAGE_STATUS``
(``camera_tracking``). The bridge node (``siamcar_ros.ros.mavlink_bridge``) joins it to the
tracking node; docs/mavlink.md describes both."""
