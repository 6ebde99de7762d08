"""Lifecycle churn: configure / activate / deactivate / cleanup the tracking node N times in one
process (through the standard lifecycle_msgs services, from a client node) and print threads,
publishers, subscriptions and resident memory before and after: none should grow.

    source env.sh && python benchmarks/lifecycle_churn.py [--cycles 50] [--checkpoint model.pth]

Without --checkpoint a small, untrained model is written to a temporary folder (what is measured
is the node's bookkeeping, not the network).
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import threading
import time
from pathlib import Path

from tqdm import tqdm

DOMAIN_ID = 73


def proc_status(field: str) -> float:
    """A number from /proc/self/status (Linux), e.g. VmRSS in kB or Threads."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def small_checkpoint(directory: Path) -> Path:
    import torch

    from siamcar_ros.model import build_model, save_checkpoint

    torch.manual_seed(0)
    model = build_model("alexnet", width_mult=0.5, neck_channels=32, head_channels=32, head_num_convs=1)
    return save_checkpoint(directory / "churn_model.pth", model)


class LifecycleClient:
    def __init__(self, node, target: str):
        from lifecycle_msgs.srv import ChangeState

        self._client = node.create_client(ChangeState, f"{target}/change_state")
        if not self._client.wait_for_service(timeout_sec=10.0):
            raise RuntimeError(f"{target}/change_state is not available")

    def transition(self, transition_id: int) -> None:
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState

        future = self._client.call_async(ChangeState.Request(transition=Transition(id=transition_id)))
        deadline = time.monotonic() + 60.0
        while not future.done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"transition {transition_id} did not answer")
            time.sleep(0.002)
        if not future.result().success:
            raise RuntimeError(f"transition {transition_id} failed")


def figures(node) -> dict:
    gc.collect()
    return {
        "python_threads": threading.active_count(),
        "os_threads": proc_status("Threads"),
        "publishers": len(list(node.publishers)),
        "subscriptions": len(list(node.subscriptions)),
        "services": len(list(node.services)),
        "timers": len(list(node.timers)),
        "rss_mb": proc_status("VmRSS") / 1024.0,
    }


def one_cycle(lifecycle: LifecycleClient) -> None:
    from lifecycle_msgs.msg import Transition

    for transition in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE,
                       Transition.TRANSITION_DEACTIVATE, Transition.TRANSITION_CLEANUP):
        lifecycle.transition(transition)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--checkpoint", default=None)
    args = parser.parse_args()

    import rclpy
    import torch
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter

    from siamcar_ros.ros.executor import NodeExecutor
    from siamcar_ros.ros.node import TrackerNode

    torch.set_num_threads(1)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    checkpoint = args.checkpoint or str(small_checkpoint(Path(tempfile.mkdtemp())))
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    node = TrackerNode(context=context, parameter_overrides=[
        Parameter("checkpoint", value=checkpoint), Parameter("device", value="cpu")])
    client = rclpy.create_node("churn_client", context=context)
    executors = [NodeExecutor(num_threads=3, context=context), SingleThreadedExecutor(context=context)]
    spinners = []
    for executor, spun in zip(executors, (node, client)):
        executor.add_node(spun)
        spinners.append(threading.Thread(target=executor.spin, daemon=True))
        spinners[-1].start()
    lifecycle = LifecycleClient(client, node.get_name())

    one_cycle(lifecycle)  # first cycle: one-off allocations (torch, DDS) are not growth
    snapshots = {1: figures(node)}
    started = time.perf_counter()
    for cycle in tqdm(range(2, args.cycles + 2), desc="lifecycle cycles", unit="cycle"):
        one_cycle(lifecycle)
        if cycle == args.cycles // 2 + 1:
            snapshots[cycle] = figures(node)
    elapsed = time.perf_counter() - started
    snapshots[args.cycles + 1] = figures(node)

    print(f"{args.cycles} configure/activate/deactivate/cleanup cycles in {elapsed:.1f} s "
          f"({1000 * elapsed / args.cycles:.0f} ms per cycle), after one warm-up cycle")
    # Thread pools and allocators settle during the first cycles: the second half shows growth.
    first, middle, last = snapshots.values()
    print(f"{'after cycle':16s}" + "".join(f"{n:>10d}" for n in snapshots)
          + f"{'total':>10s}{'2nd half':>10s}")
    for key in first:
        values = "".join(f"{snap[key]:10.1f}" for snap in snapshots.values())
        print(f"{key:16s}{values}{last[key] - first[key]:10.1f}{last[key] - middle[key]:10.1f}")
    # stop and join the spin threads before the nodes and the context go, so that no thread
    # is still inside rclpy when the interpreter tears down
    for executor in executors:
        executor.shutdown()
    for spinner in spinners:
        spinner.join(timeout=5.0)
    node.destroy_node()
    client.destroy_node()
    rclpy.try_shutdown(context=context)


if __name__ == "__main__":
    main()
