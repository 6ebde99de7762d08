"""Package a trained network as a bundled model: the weights with their build config and
recommended tracker settings, plus a YAML record of the training configuration(s).

    python -m siamcar_ros.training.package_model runs/mobilenet/model_final.pth \
        --stages training_configs/train_mobilenet.yaml --params-file runs/mobilenet_tune/best.yaml
"""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from siamcar_ros.model import load_checkpoint, save_checkpoint
from siamcar_ros.training.config import load_config
from siamcar_ros.tracking.decode import STRATEGIES

DEFAULT_OUTPUT = Path("models/siamcar_default.pth")


def package_model(checkpoint: str | Path, stage_configs: list[str | Path],
                 output: str | Path = DEFAULT_OUTPUT, tracker_params: dict | None = None,
                 tuning: dict | None = None, trained_with: str = "scripts/train_default.sh") -> Path:
    """Write output (.pth: weights, config, tracker_params) and output with .yaml (every
    stage's full training configuration, in order, and how the tracker settings were chosen
    when ``tuning`` says so). Returns the .pth path."""
    if not stage_configs:
        raise ValueError("at least one training config (stage) is needed for the record")
    model = load_checkpoint(checkpoint)
    output = Path(output)
    extra = {"tracker_params": dict(tracker_params)} if tracker_params else None
    save_checkpoint(output, model, extra=extra)
    record = {"trained_with": trained_with,
              "stages": [{"config_file": str(path), **load_config(path)} for path in stage_configs]}
    if tracker_params:
        record["tracker_params"] = dict(tracker_params)
    if tuning:
        record["tuning"] = dict(tuning)
    with open(output.with_suffix(".yaml"), "w", encoding="utf-8") as stream:
        stream.write(f"# Training configuration of {output.name} (stages run in order).\n")
        yaml.safe_dump(record, stream, sort_keys=False)
    return output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="final checkpoint of the last training stage")
    parser.add_argument("--stages", nargs="+", required=True, help="training YAMLs, in order")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument("--trained-with", default="scripts/train_default.sh",
                        help="the script that reproduces the file, for the record")
    parser.add_argument("--params-file",
                        help="best.yaml from siamcar-tune: the tracker settings to record")
    parser.add_argument("--strategy", choices=STRATEGIES,
                        help="decoding strategy the model tracks best with (overrides the file's)")
    arguments = parser.parse_args(argv)
    params, tuning = {}, None
    if arguments.params_file:
        from siamcar_ros.training.tune import read_tuning

        params, tuning = read_tuning(arguments.params_file)
    if arguments.strategy:
        params["strategy"] = arguments.strategy
    path = package_model(arguments.checkpoint, arguments.stages, arguments.output, params or None,
                        tuning, arguments.trained_with)
    print(f"wrote {path} and {path.with_suffix('.yaml')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
