"""Forward time of ``model.track()`` (one 255x255 search crop against template features) per
backbone configuration on this machine, with 1 and 2 CPU threads, as a ratio to ResNet-50
measured in the same run.

    python benchmarks/bench_backbones.py [--threads 1 2] [--repeats 20]

The network share only: crop and decode come on top (see the tracking benchmark).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from tqdm import tqdm

from siamcar_ros.model import build_model

REFERENCE = "resnet50 (published)"
CONFIGS = {
    REFERENCE: dict(backbone="resnet50"),
    "resnet18": dict(backbone="resnet18"),
    "mobilenetv2": dict(backbone="mobilenetv2"),
    "alexnet": dict(backbone="alexnet"),
    "mobilenetv2 w0.5 n64 h64 c2": dict(backbone="mobilenetv2", width_mult=0.5, neck_channels=64,
                                        head_channels=64, head_num_convs=2),
    "resnet18 w0.5 n64 h64 c2": dict(backbone="resnet18", width_mult=0.5, neck_channels=64,
                                     head_channels=64, head_num_convs=2),
    "alexnet w0.5 n96 h96 c3": dict(backbone="alexnet", width_mult=0.5, neck_channels=96,
                                    head_channels=96, head_num_convs=3),
    "alexnet w0.5 n64 h64 c2": dict(backbone="alexnet", width_mult=0.5, neck_channels=64,
                                    head_channels=64, head_num_convs=2),
    "alexnet w0.25 n64 h64 c2": dict(backbone="alexnet", width_mult=0.25, neck_channels=64,
                                     head_channels=64, head_num_convs=2),
    "alexnet w0.25 n32 h32 c2": dict(backbone="alexnet", width_mult=0.25, neck_channels=32,
                                     head_channels=32, head_num_convs=2),
}


def prepared(model: torch.nn.Module) -> tuple[torch.nn.Module, torch.Tensor, list]:
    """Model, a search crop to track and the template features to track it against."""
    generator = torch.Generator().manual_seed(0)
    template = torch.rand(1, 3, model.template_size, model.template_size, generator=generator) * 255
    search = torch.rand(1, 3, model.search_size, model.search_size, generator=generator) * 255
    with torch.inference_mode():
        features = model.template(template)
        for _ in range(2):  # warm-up: allocator and kernel selection
            model.track(search, features)
    return model, search, features


def track_ms(model: torch.nn.Module, search: torch.Tensor, features: list) -> float:
    with torch.inference_mode():
        start = time.perf_counter()
        model.track(search, features)
        return (time.perf_counter() - start) * 1000


def median_times(models: dict, threads: int, rounds: int) -> dict[str, float]:
    """Round-robin over the models so background load hits every configuration alike;
    the slow reference runs every fourth round only."""
    torch.set_num_threads(threads)
    prepared_models = {name: prepared(model) for name, model in models.items()}
    samples: dict[str, list[float]] = {name: [] for name in models}
    for round_index in tqdm(range(rounds), desc=f"{threads} thread(s)", leave=False):
        for name, (model, search, features) in prepared_models.items():
            if name == REFERENCE and round_index % 4:
                continue
            samples[name].append(track_ms(model, search, features))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed rounds per thread count (ResNet-50 runs in every 4th)")
    args = parser.parse_args()
    models = {name: build_model(**config).eval() for name, config in CONFIGS.items()}
    params = {name: sum(p.numel() for p in m.parameters()) / 1e6 for name, m in models.items()}
    results = {}
    for threads in args.threads:
        for name, ms in median_times(models, threads, args.repeats).items():
            results[name, threads] = ms
    header = f"{'configuration':30s} {'params':>8s} {'score':>5s}"
    for threads in args.threads:
        header += f" | {threads}T ms {'fps':>6s} {'vs r50':>7s}"
    print(header)
    print("-" * len(header))
    for name, model in models.items():
        row = f"{name:30s} {params[name]:7.2f}M {model.score_size:5d}"
        for threads in args.threads:
            ms = results[name, threads]
            row += f" | {ms:7.1f} {1000 / ms:6.1f} {results[REFERENCE, threads] / ms:6.1f}x"
        print(row)
    print("\nms = median track() time (backbone+neck+xcorr+down+head on one search crop); "
          "'vs r50' = speed-up over ResNet-50 in the same run.")


if __name__ == "__main__":
    main()
