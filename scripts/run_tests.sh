#!/usr/bin/env bash
# Runs the test suite inside the environment made by scripts/setup_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source ./env.sh
exec python -m pytest "$@"
