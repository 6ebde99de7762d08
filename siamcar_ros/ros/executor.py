"""The executor that runs the tracking node: rclpy's MultiThreadedExecutor without its re-dispatch spin.

rclpy's MultiThreadedExecutor (Humble to Kilted) yields a task again on every pass of its wait
loop while the task sits in the thread pool's queue and has not started. Under load (a tracking
step occupying a thread, frames arriving at 30 Hz) the loop then re-submits the same handlers
thousands of times a second: its list of pending futures grows into the thousands, the loop
scans that list on every pass, and the GIL it holds starves the tracking step (measured: the
node kept 6 to 18 of 30 frames/s with a 6 ms step). This subclass submits a handler once,
and when the wait loop hands back a handler that is still queued it sleeps briefly instead of
spinning, so that the pool threads can take the GIL and start their work.
"""
from __future__ import annotations

import time

from rclpy._rclpy_pybind11 import InvalidHandle, RCLError
from rclpy.executors import (
    ConditionReachedException,
    ExternalShutdownException,
    MultiThreadedExecutor,
    ShutdownException,
    TimeoutException,
)

_REQUEUED_PAUSE_S = 0.0005  # lets a pool thread start the queued handler


class NodeExecutor(MultiThreadedExecutor):
    """MultiThreadedExecutor that submits each ready handler once (see the module docstring)."""

    def _spin_once_impl(self, timeout_sec=None, wait_condition=lambda: False) -> None:
        pending = getattr(self, "_futures", None)
        pool = getattr(self, "_executor", None)
        if pending is None or pool is None:  # an rclpy whose internals differ: plain behaviour
            return super()._spin_once_impl(timeout_sec, wait_condition)
        try:
            handler, _entity, _node = self.wait_for_ready_callbacks(timeout_sec, None, wait_condition)
        except (ExternalShutdownException, ShutdownException, TimeoutException, ConditionReachedException):
            return
        except RCLError:
            # SIGINT shut the context down between spin's check and this wait set: the spin
            # loop ends on its next check; anything else is a real error
            if self.context.ok():
                raise
            return
        if any(handler is queued for queued in pending):
            time.sleep(_REQUEUED_PAUSE_S)
        else:
            pool.submit(handler)
            pending.append(handler)
        for future in pending[:]:
            if future.done():
                pending.remove(future)
                try:
                    future.result()  # raise any exception of the callback
                except InvalidHandle:
                    # a handler that finished while the executor was being shut down woke a
                    # guard condition already destroyed: nothing is lost, stay quiet then
                    if not getattr(self, "_is_shutdown", False):
                        raise
