"""DistributedDataParallel on the CPU: two gloo processes train a few steps on different
pairs and end with identical parameters."""
import os
import socket
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from siamcar_ros.training.config import make_config
from siamcar_ros.training.trainer import DistributedContext, Trainer

FIXTURES = Path(__file__).parent / "fixtures" / "training"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(output_dir: Path) -> dict:
    return make_config({
        "model": {"backbone": "alexnet", "width_mult": 0.125, "neck_channels": 8,
                  "head_channels": 8, "head_num_convs": 1},
        "data": {"sources": [{"type": "got10k", "root": str(FIXTURES / "got10k")}],
                 "pairs_per_epoch": 8, "workers": 0},
        "train": {"epochs": 1, "batch_size": 2, "warmup_epochs": 0, "backbone_freeze_epochs": 0,
                  "threads": 1, "device": "cpu", "log_every": 1},
        "output": {"dir": str(output_dir)}})


def _worker(rank: int, world_size: int, port: int, output_dir: str) -> None:
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "WORLD_SIZE": str(world_size), "LOCAL_RANK": str(rank)})
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        trainer = Trainer(_config(Path(output_dir)), context=DistributedContext(rank, world_size, rank))
        initial = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        first_batch = next(iter(trainer._loader(0)))
        trainer.run()
        torch.save({"initial": initial, "final": trainer.model.state_dict(),
                    "iterations": trainer.iteration, "first_template": first_batch["template"]},
                   Path(output_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_end_with_identical_parameters(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    rank0 = torch.load(tmp_path / "rank0.pt")
    rank1 = torch.load(tmp_path / "rank1.pt")
    assert rank0["iterations"] == rank1["iterations"] == 2     # 8 pairs / (2 per batch * 2 ranks)
    assert not torch.equal(rank0["first_template"], rank1["first_template"])   # different data
    changed = [k for k in rank0["final"] if not torch.equal(rank0["initial"][k], rank0["final"][k])]
    assert changed, "training did not change any parameter"
    for key, value in rank0["final"].items():
        assert torch.equal(value, rank1["final"][key]), key
    assert (tmp_path / "log.csv").is_file() and (tmp_path / "checkpoint_latest.pth").is_file()
