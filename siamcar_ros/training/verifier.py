"""Train the box verifier (``siamcar_ros/tracking/verifier.py``) on procedural training sequences.

    python -m siamcar_ros.training.verifier --output runs/verifier --export models/siamcar_verifier.pth

(``scripts/train_verifier.sh``: about 25 minutes on 2 cores, 140 000 pairs from 1 800 sequences.)

Pairs (initial box, box in a later frame) come from short and long-term procedural sequences
drawn from training seeds (the "training" photograph pool; never a validation or benchmark
seed, never OpenCV's photographs):

- same object: the target's box, jittered so that it overlaps the truth by IoU 0.55 or more;
- other objects: a look-alike distractor's box (jittered the same way); a box of the target's
  size elsewhere in the frame (half of them next to the target); the target's place while an
  occluder hides it.

Both pictures of a pair get the same mirror flip, channel order and per-channel gain at random,
which keeps the answer and keeps the verifier from learning the training photographs' colours.

Deterministic for a given seed; the pairs are cached in ``<output>/pairs.npz`` and the training
state is saved after every epoch, so a stopped run resumes where it stopped. ``--export`` writes
the weights alone (what ``load_verifier`` reads).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from torch import nn

from siamcar_ros.data.procedural.long_term import generate_long_term_sequence
from siamcar_ros.data.procedural.sequence import generate_sequence
from siamcar_ros.evaluation.metrics import iou
from siamcar_ros.tracking.verifier import Verifier, box_patch

LOG = logging.getLogger("siamcar_ros.training.verifier")

SHORT_FIRST_SEED = 5000001
LONG_FIRST_SEED = 5100001
POSITIVE_IOU = 0.55
NEGATIVE_IOU = 0.1


def _jittered(rng: np.random.Generator, box: np.ndarray, min_iou: float) -> np.ndarray:
    for _ in range(20):
        w, h = box[2] * np.exp(rng.normal(0, 0.12, 2))
        cx = box[0] + box[2] / 2 + rng.normal(0, 0.1) * box[2]
        cy = box[1] + box[3] / 2 + rng.normal(0, 0.1) * box[3]
        moved = np.array([cx - w / 2, cy - h / 2, w, h])
        if iou(moved[None], box[None])[0] >= min_iou:
            return moved
    return box.copy()


def _elsewhere(rng: np.random.Generator, target: np.ndarray, size: tuple[int, int],
               near: bool) -> np.ndarray | None:
    height, width = size
    w, h = target[2], target[3]
    for _ in range(20):
        if near:
            angle = rng.uniform(0, 2 * np.pi)
            reach = rng.uniform(0.9, 2.0)
            cx = target[0] + w / 2 + np.cos(angle) * reach * w
            cy = target[1] + h / 2 + np.sin(angle) * reach * h
        else:
            cx, cy = rng.uniform(w / 2, width - w / 2), rng.uniform(h / 2, height - h / 2)
        box = np.array([cx - w / 2, cy - h / 2, w, h])
        if iou(box[None], target[None])[0] < NEGATIVE_IOU:
            return box
    return None


def sequence_pairs(job: tuple[str, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(references, candidates, labels) from one sequence: ``frames`` sampled frames of the
    sequence of kind "short" or "long" and this seed."""
    kind, seed, frames = job
    rng = np.random.default_rng(seed)
    sequence = (generate_sequence(seed, photos="training") if kind == "short"
                else generate_long_term_sequence(seed, photos="training"))
    truth = sequence.ground_truth
    first = sequence.frames[0]
    size = first.shape[:2]
    reference = box_patch(first, truth[0])
    candidates, labels = [], []
    last_seen = truth[0]
    for index in np.sort(rng.choice(np.arange(1, len(sequence)), size=frames, replace=False)):
        frame = sequence.frames[int(index)]
        box = truth[index]
        visible = not sequence.absent[index] and box[2] >= 2 and box[3] >= 2
        if visible:
            last_seen = box
            candidates.append(box_patch(frame, _jittered(rng, box, POSITIVE_IOU)))
            labels.append(1.0)
        elif box[2] >= 2 and box[3] >= 2:   # hidden by an occluder: its place shows something else
            candidates.append(box_patch(frame, _jittered(rng, box, POSITIVE_IOU)))
            labels.append(0.0)
        for alike in sequence.distractor_boxes(int(index)):
            if alike[2] >= 2 and alike[3] >= 2 and (not visible or iou(alike[None], box[None])[0] < NEGATIVE_IOU):
                candidates.append(box_patch(frame, _jittered(rng, alike, POSITIVE_IOU)))
                labels.append(0.0)
                break
        other = _elsewhere(rng, last_seen, size, near=bool(rng.random() < 0.5))
        if other is not None and (not visible or iou(other[None], box[None])[0] < NEGATIVE_IOU):
            candidates.append(box_patch(frame, other))
            labels.append(0.0)
    references = np.repeat(reference[None], len(candidates), axis=0)
    return references, np.stack(candidates), np.asarray(labels, np.float32)


def make_pairs(short: int, long: int, frames: int, workers: int) -> dict[str, np.ndarray]:
    jobs = ([("short", SHORT_FIRST_SEED + k, frames) for k in range(short)]
            + [("long", LONG_FIRST_SEED + k, frames) for k in range(long)])
    if workers <= 1:
        parts = [sequence_pairs(job) for job in jobs]
    else:   # fresh processes: a fork of a process whose torch threads have started can hang
        with get_context("spawn").Pool(workers) as pool:
            parts = pool.map(sequence_pairs, jobs, chunksize=4)
    group = np.concatenate([np.full(len(p[2]), k) for k, p in enumerate(parts)])
    return {"references": np.concatenate([p[0] for p in parts]).astype(np.float16),
            "candidates": np.concatenate([p[1] for p in parts]).astype(np.float16),
            "labels": np.concatenate([p[2] for p in parts]), "groups": group}


def _augmented(generator: torch.Generator, pairs: torch.Tensor) -> torch.Tensor:
    """The same mirror flip, channel order and per-channel gain for both pictures of a pair."""
    count = pairs.shape[0]
    flip = torch.rand(count, generator=generator) < 0.5
    pairs = torch.where(flip[:, None, None, None], pairs.flip(3), pairs)
    order = torch.stack([torch.randperm(3, generator=generator) for _ in range(count)])
    index = torch.cat([order, order + 3], dim=1)[:, :, None, None].expand_as(pairs)
    pairs = torch.gather(pairs, 1, index)
    gain = torch.exp(torch.randn(count, 3, generator=generator) * 0.15).repeat(1, 2)
    return pairs * gain[:, :, None, None]


def _evaluate(model: Verifier, pairs: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(pairs[i:i + 1024]) for i in range(0, len(pairs), 1024)])
    model.train()
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels).item()
    accuracy = ((logits > 0).float() == labels).float().mean().item()
    return loss, accuracy


def train(output: Path, short: int, long: int, frames: int, epochs: int, width: int,
          batch_size: int, lr: float, seed: int, workers: int,
          stop_after: int | None = None) -> Verifier:
    """Train (or go on training) in ``output``; ``stop_after``: stop after that many epochs of
    this run (the next run resumes there)."""
    output.mkdir(parents=True, exist_ok=True)
    cache = output / "pairs.npz"
    if cache.exists():
        data = dict(np.load(cache))
        LOG.info("pairs read from %s", cache)
    else:
        started = time.monotonic()
        data = make_pairs(short, long, frames, workers)
        np.savez(cache, **data)
        LOG.info("%d pairs from %d sequences in %.0f s -> %s", len(data["labels"]), short + long,
                 time.monotonic() - started, cache)
    pairs = torch.from_numpy(np.concatenate([data["references"], data["candidates"]], axis=1)).float()
    labels = torch.from_numpy(data["labels"]).float()
    held = torch.from_numpy(data["groups"] % 10 == 0)   # a tenth of the sequences: monitoring only
    train_pairs, train_labels = pairs[~held], labels[~held]
    torch.manual_seed(seed)
    model = Verifier(width)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(train_labels) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    positive = float(train_labels.mean())
    weights = torch.tensor([0.5 / (1 - positive), 0.5 / positive])
    state_file = output / "state.pth"
    start = 0
    if state_file.exists():
        state = torch.load(state_file, weights_only=True)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        start = int(state["epoch"])
        LOG.info("resumed after epoch %d from %s", start, state_file)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(start):   # the same shuffles as an uninterrupted run
        torch.randperm(len(train_labels), generator=generator)
    last = epochs if stop_after is None else min(epochs, start + int(stop_after))
    for epoch in range(start, last):
        order = torch.randperm(len(train_labels), generator=generator)
        augment = torch.Generator().manual_seed(seed * 1000 + epoch)
        total = 0.0
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            x, y = _augmented(augment, train_pairs[batch]), train_labels[batch]
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y, weight=weights[y.long()])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        held_loss, held_accuracy = _evaluate(model, pairs[held], labels[held])
        LOG.info("epoch %d/%d: training loss %.4f; monitoring sequences: loss %.4f, accuracy %.3f",
                 epoch + 1, epochs, total / len(order), held_loss, held_accuracy)
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(), "epoch": epoch + 1}, state_file)
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=Path("runs/verifier"))
    parser.add_argument("--export", type=Path, help="write the trained weights here")
    parser.add_argument("--short", type=int, default=1500, help="short training sequences")
    parser.add_argument("--long", type=int, default=300, help="long-term training sequences")
    parser.add_argument("--frames", type=int, default=32, help="frames sampled per sequence")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stop-after", type=int, default=None,
                        help="stop after this many epochs of this run (run again to resume)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    model = train(args.output, args.short, args.long, args.frames, args.epochs, args.width,
                  args.batch_size, args.lr, args.seed, args.workers, args.stop_after)
    if args.export:
        args.export.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"width": model.width, "state_dict": model.state_dict()}, args.export)
        LOG.info("verifier weights -> %s", args.export)
    return 0


if __name__ == "__main__":
    sys.exit(main())
