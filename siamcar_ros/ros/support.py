"""What the tracking node needs besides its messages: ROS logging at a chosen severity, the
library's ``logging`` records forwarded to the ROS logger, the bundled model's installed path,
and releasing a model's memory."""
from __future__ import annotations

import gc
import logging
from pathlib import Path


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


def installed_model(checkpoint: str) -> str | None:
    """A bundled model (``checkpoint`` empty, ``default`` or ``fast``) from the package's share/
    folder when the library's own path (the source checkout) does not hold it, as after a plain
    colcon install; else None."""
    from siamcar_ros.tracking import BUNDLED_MODELS, resolve_checkpoint

    name = checkpoint or "default"
    if name not in BUNDLED_MODELS or Path(name).exists() or resolve_checkpoint(name).is_file():
        return None
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:
        return None
    try:
        installed = (Path(get_package_share_directory("siamcar_ros")) / "models"
                     / BUNDLED_MODELS[name].name)
    except PackageNotFoundError:
        return None
    return str(installed) if installed.is_file() else None


def free_model_memory() -> None:
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
