#!/usr/bin/env bash
# Reproduces the bundled default model, models/siamcar_default.pth (the nanocar network), on
# the CPU in about a quarter of an hour on 2 cores:
#   1. builds the nanocar network from NanoTrack V3's trained weights (real tracking footage)
#      and trains SiamCAR's centre-ness branch alone on procedural pairs, every weight that came
#      from NanoTrack frozen (training_configs/train_nanocar.yaml);
#   2. chooses its tracker settings and loss threshold on procedural validation sequences and
#      the real-video check set together (siamcar-tune --real-clips; never the benchmarks);
#   3. writes models/siamcar_default.pth and .yaml.
# NanoTrack V3's weights are not shipped: put nanotrackv3.pth (Apache-2.0; the NanoTrack
# folder of github.com/HonglinChu/SiamTrackers, models/pretrained/) at
# data/nanotrack/nanotrackv3.pth or name it in SIAMCAR_NANOTRACK_WEIGHTS.
# Interrupted training resumes from its latest checkpoint when the script reruns; a finished
# stage is not rerun. Run it in the background:
#   nohup scripts/train_default.sh > runs/train_default.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh

weights=${SIAMCAR_NANOTRACK_WEIGHTS:-data/nanotrack/nanotrackv3.pth}
if [ ! -f "$weights" ]; then
  echo "error: NanoTrack V3 weights not found at $weights; get nanotrackv3.pth (Apache-2.0) from" \
    "the NanoTrack folder of github.com/HonglinChu/SiamTrackers (models/pretrained/) and put it" \
    "there or set SIAMCAR_NANOTRACK_WEIGHTS" >&2
  exit 1
fi
if [ "$weights" != data/nanotrack/nanotrackv3.pth ]; then
  mkdir -p data/nanotrack
  cp "$weights" data/nanotrack/nanotrackv3.pth
fi

output=runs/nanocar
if [ ! -f "$output/model_final.pth" ]; then
  resume=()
  [ -f "$output/checkpoint_latest.pth" ] && resume=(--resume "$output/checkpoint_latest.pth")
  siamcar-train --config training_configs/train_nanocar.yaml --output "$output" "${resume[@]}"
fi
final=$output/model_final.pth
scripts/get_real_clips.sh
python -m siamcar_ros.training.tune "$final" --output runs/nanocar_tune \
  --real-clips out/realclips --procedural-sequences 10 --strategy coarse_to_fine_box \
  --window-influence 0.3 0.45 0.55 --penalty-k 0.1 0.2 --lr 0.35 0.5 --workers 2 --quiet
python -m siamcar_ros.training.package_model "$final" --stages training_configs/train_nanocar.yaml \
  --params-file runs/nanocar_tune/best.yaml \
  --output models/siamcar_default.pth --trained-with scripts/train_default.sh
echo "evaluate with: siamcar-eval --dataset realclips --root out/realclips --workers 2"
echo "          and: siamcar-eval --trackers siamcar csrt kcf --workers 2"
