#!/usr/bin/env bash
# Trains the bundled `fast` model on procedural sequences on the CPU, in five stages
# (training_configs/train_fast.yaml, then training_configs/train_fast_stage2.yaml, _stage3.yaml,
# _stage4.yaml and _stage5.yaml, each starting from the previous stage's weights), chooses its tracker settings
# on procedural validation sequences (siamcar-tune), and writes the result and its configs to models/.
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

run_stage training_configs/train_fast.yaml runs/fast
run_stage training_configs/train_fast_stage2.yaml runs/fast_stage2
run_stage training_configs/train_fast_stage3.yaml runs/fast_stage3
run_stage training_configs/train_fast_stage4.yaml runs/fast_stage4
run_stage training_configs/train_fast_stage5.yaml runs/fast_stage5
# tracker settings: chosen on procedural validation sequences (seed 1), not on the benchmark
python -m siamcar_ros.training.tune runs/fast_stage5/model_final.pth \
  --output runs/fast_tune --workers 2 --quiet
python -m siamcar_ros.training.package_model runs/fast_stage5/model_final.pth \
  --stages training_configs/train_fast.yaml training_configs/train_fast_stage2.yaml \
  training_configs/train_fast_stage3.yaml training_configs/train_fast_stage4.yaml \
  training_configs/train_fast_stage5.yaml \
  --params-file runs/fast_tune/best.yaml \
  --output models/siamcar_fast.pth --trained-with scripts/train_fast.sh
echo "evaluate with: siamcar-eval --trackers siamcar csrt kcf --workers 2"
