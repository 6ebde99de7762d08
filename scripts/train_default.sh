#!/usr/bin/env bash
# Trains the bundled default model on procedural sequences on the CPU, in two stages
# (configs/train_default.yaml, then configs/train_default_stage2.yaml which starts from the
# first stage's weights), and copies the result and its configs to models/.
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
cp runs/default_stage2/model_final.pth models/siamcar_default.pth
cat configs/train_default.yaml > models/siamcar_default.yaml
printf '\n---\n' >> models/siamcar_default.yaml
cat configs/train_default_stage2.yaml >> models/siamcar_default.yaml
echo "models/siamcar_default.pth updated; evaluate with: siamcar-eval --trackers siamcar csrt kcf"
