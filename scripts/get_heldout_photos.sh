#!/usr/bin/env bash
# Puts OpenCV's sample photographs (Debian's opencv-doc package, examples/data) into
# data/opencv-samples/ for the held-out benchmark (siamcar-eval --dataset heldout). They are
# for evaluation only: no training pool or tuning run reads them. Needs apt-get (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
target=data/opencv-samples
if [ -f "$target/fruits.jpg" ] && [ -f "$target/butterfly.jpg" ]; then
  echo "$target is ready"
  exit 0
fi
if [ -d /usr/share/doc/opencv-doc/examples/data ]; then
  mkdir -p "$target"
  cp /usr/share/doc/opencv-doc/examples/data/*.{jpg,png} "$target"/
  echo "copied from the installed opencv-doc into $target"
  exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && apt-get download opencv-doc >/dev/null)
dpkg-deb -x "$scratch"/opencv-doc_*.deb "$scratch/x"
mkdir -p "$target"
cp "$scratch"/x/usr/share/doc/opencv-doc/examples/data/*.{jpg,png} "$target"/
echo "OpenCV sample photographs in $target ($(ls "$target" | wc -l) files)"
