#!/usr/bin/env bash
# Trains the bundled default model (configs/train_default.yaml) on procedural sequences on
# the CPU, then copies the final weights and the config to models/. Usage:
#   scripts/train_default.sh [output_dir]        (default runs/default; resumes if present)
set -euo pipefail
cd "$(dirname "$0")/.."
output="${1:-runs/default}"
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh
resume=()
if [ -f "$output/checkpoint_latest.pth" ]; then
  resume=(--resume "$output/checkpoint_latest.pth")
fi
siamcar-train --config configs/train_default.yaml --output "$output" "${resume[@]}"
cp "$output/model_final.pth" models/siamcar_default.pth
cp configs/train_default.yaml models/siamcar_default.yaml
echo "models/siamcar_default.pth updated; evaluate with: siamcar-eval --trackers siamcar csrt kcf"
