#!/usr/bin/env bash
# Trains the bundled default model on procedural sequences on the CPU, in three stages
# (configs/train_default.yaml, then configs/train_default_stage2.yaml and _stage3.yaml, each
# starting from the previous stage's weights), and copies the result and its configs to models/.
# A stage that was interrupted resumes from its latest checkpoint when the script reruns.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh

run_stage() {  # config output_dir
  local resume=()
  if [ -f "$2/model_final.pth" ]; then
    echo "$2 is complete"
    return
  fi
  if [ -f "$2/checkpoint_latest.pth" ]; then
    resume=(--resume "$2/checkpoint_latest.pth")
  fi
  siamcar-train --config "$1" --output "$2" "${resume[@]}"
}

run_stage configs/train_default.yaml runs/default
run_stage configs/train_default_stage2.yaml runs/default_stage2
run_stage configs/train_default_stage3.yaml runs/default_stage3
cp runs/default_stage3/model_final.pth models/siamcar_default.pth
# one YAML mapping with every stage's full configuration (defaults filled in), in order
python - <<'PY'
import yaml
from siamcar_ros.training.config import load_config
stages = ["configs/train_default.yaml", "configs/train_default_stage2.yaml",
          "configs/train_default_stage3.yaml"]
record = {"trained_with": "scripts/train_default.sh",
          "stages": [{"config_file": path, **load_config(path)} for path in stages]}
with open("models/siamcar_default.yaml", "w", encoding="utf-8") as stream:
    stream.write("# Training configuration of models/siamcar_default.pth (stages run in order).\n")
    yaml.safe_dump(record, stream, sort_keys=False)
PY
echo "models/siamcar_default.pth updated; evaluate with: siamcar-eval --trackers siamcar csrt kcf"
