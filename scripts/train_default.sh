#!/usr/bin/env bash
# Trains the bundled default model on procedural sequences on the CPU, in five stages
# (configs/train_default.yaml, then configs/train_default_stage2.yaml, _stage3.yaml,
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

run_stage configs/train_default.yaml runs/default
run_stage configs/train_default_stage2.yaml runs/default_stage2
run_stage configs/train_default_stage3.yaml runs/default_stage3
run_stage configs/train_default_stage4.yaml runs/default_stage4
run_stage configs/train_default_stage5.yaml runs/default_stage5
# tracker settings: chosen on procedural validation sequences (seed 1), not on the benchmark
python -m siamcar_ros.training.tune runs/default_stage5/model_final.pth \
  --output runs/default_tune --workers 2 --quiet
python -m siamcar_ros.training.export runs/default_stage5/model_final.pth \
  --stages configs/train_default.yaml configs/train_default_stage2.yaml \
  configs/train_default_stage3.yaml configs/train_default_stage4.yaml \
  configs/train_default_stage5.yaml \
  --params-file runs/default_tune/best.yaml
echo "evaluate with: siamcar-eval --trackers siamcar csrt kcf --workers 2"
