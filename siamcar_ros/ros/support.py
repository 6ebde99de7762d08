"""What the tracking node needs besides its messages: ROS logging at a chosen severity, the
library's ``logging`` records forwarded to the ROS logger, and releasing a model's memory."""
from __future__ import annotations

import gc
import logging


def log(logger, level: str, message: str) -> None:
    # rclpy ties the severity to the calling line, so each severity has its own line.
    if level == "error":
        logger.error(message)
    elif level == "warning":
        logger.warning(message)
    else:
        logger.info(message)


class RosLogForwarder(logging.Handler):
    """Routes the library's `logging` records (model loading, device choice) to the ROS logger."""

    def __init__(self, ros_logger):
        super().__init__(level=logging.INFO)
        self._ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            level = "error"
        elif record.levelno >= logging.WARNING:
            level = "warning"
        else:
            level = "info"
        log(self._ros_logger, level, f"[{record.name}] {record.getMessage()}")


def free_model_memory() -> None:
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
