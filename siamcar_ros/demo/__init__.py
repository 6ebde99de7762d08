"""The demo behind `make demo`: the tracking node on a procedural sequence played as a camera.

1. starts the node: `ros2 launch siamcar_ros tracker.launch.py` where the ros2 command
   exists, else the `siamcar_tracker` executable (or `python -m siamcar_ros.ros.node`),
   configured and activated through the lifecycle services;
2. plays a seeded procedural sequence (exact ground truth) as a 30 Hz sensor_msgs/Image topic,
   sends the first frame's box on the init topic, stamped with that frame;
3. records the vision_msgs/Detection2D stream and the node's status;
4. writes to the output folder (out/demo/ by default): `demo.mp4` (ground truth green, the
   node's box yellow while TRACKING and red while LOST), `success.png` (success plot),
   `detections.csv` and `summary.txt` (one line: success AUC, frames/s, dropped frames).

A frame the node skipped (it only ever tracks the newest frame) is scored with the newest box
received before it, which is what a consumer of the topic would have had at that moment.

    python -m siamcar_ros.demo [--seed 1] [--frames 300] [--checkpoint model.pth] [--out out/demo]

Modules: ``client`` (the node's process and the DDS player), ``outputs`` (scoring, video, plot,
CSV, summary), ``__main__`` (arguments and the run). A tool above the node: the node never
imports it.
"""
