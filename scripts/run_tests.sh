#!/usr/bin/env bash
# Runs the test suite inside the environment made by scripts/setup_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source ./env.sh
# A ROS domain of its own for each run unless the caller chose one (1..60; the node tests pick
# fixed domains above that per module), so that test runs in parallel on one machine do not see
# each other's nodes. env.sh already keeps discovery on this machine.
export ROS_DOMAIN_ID="${ROS_DOMAIN_ID:-$(( $$ % 60 + 1 ))}"
exec python -m pytest "$@"
