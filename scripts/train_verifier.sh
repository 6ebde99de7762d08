#!/usr/bin/env bash
# Reproduces the bundled box verifier, models/siamcar_verifier.pth, end to end on the CPU:
# pairs from 1 500 short and 300 long-term procedural training sequences (training seeds and
# the "training" photograph pool only), 16 epochs. About 25 minutes on 2 cores. Interrupted,
# it resumes after its last finished epoch when rerun (the pairs are cached in runs/verifier).
#   nohup scripts/train_verifier.sh > runs/train_verifier.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh
python -m siamcar_ros.training.verifier --output runs/verifier --export models/siamcar_verifier.pth
