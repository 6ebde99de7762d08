#!/usr/bin/env bash
# The demo behind `make demo` (run after scripts/setup_env.sh): the tracking node on real footage
# (a cyclist hidden by passing vehicles) played as a 30 Hz camera topic; writes out/demo/ (video,
# success plot, summary). Extra arguments go to the demo, e.g.
# scripts/run_demo.sh --source procedural --seed 3 --frames 150.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source ./env.sh
exec python -m siamcar_ros.demo "$@"
