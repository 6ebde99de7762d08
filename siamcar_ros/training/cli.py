"""siamcar-train: train a SiamCAR network from a YAML config.

    siamcar-train --config training_configs/train_nanocar.yaml
    siamcar-train --config training_configs/train_nanocar.yaml --resume runs/nanocar/checkpoint_latest.pth
    torchrun --nproc_per_node 4 -m siamcar_ros.training.cli --config training_configs/train_r50_got10k.yaml
"""
from __future__ import annotations

import argparse
import logging
import sys

from siamcar_ros.training.config import ConfigError, load_config, merge
from siamcar_ros.training.trainer import train


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="siamcar-train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="training YAML (see training_configs/)")
    parser.add_argument("--resume", help="checkpoint written by a previous run to continue from")
    parser.add_argument("--output", help="output directory (overrides output.dir)")
    parser.add_argument("--device", help="auto, cpu, cuda or cuda:N (overrides train.device)")
    parser.add_argument("--max-iterations", type=int,
                        help="stop (with a checkpoint) after this many iterations in total")
    parser.add_argument("--log-level", default="WARNING", help="logging level (INFO, DEBUG ...)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=arguments.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(arguments.config)
        overrides = {}
        if arguments.output:
            overrides["output"] = {"dir": arguments.output}
        if arguments.device:
            overrides["train"] = {"device": arguments.device}
        config = merge(config, overrides)
    except ConfigError as error:
        print(f"siamcar-train: {error}", file=sys.stderr)
        return 2
    means = train(config, resume=arguments.resume, max_iterations=arguments.max_iterations)
    if means:
        print("final losses: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(means.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
