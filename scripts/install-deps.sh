#!/usr/bin/env bash
# Installs, from Debian 12's archive, the packages p2pscope builds, tests and
# runs its lab with. Idempotent and quiet when everything is present.
#   scripts/install-deps.sh [main|all]
#     main  what the main job needs: the p2pscope command and the lab
#     all   (default) everything: every part, the tests and their references
set -euo pipefail
set_=${1:-all}
case "$set_" in main|all) ;; *) echo "install-deps: unknown set '$set_' (main|all)" >&2; exit 2 ;; esac
packages=(
  # build
  build-essential cmake pkg-config git
  # the p2pscope command's libraries, found by CMake; hwloc's lstopo-no-graphics reads saved sysfs trees
  libhwloc-dev libpci-dev nlohmann-json3-dev libcli11-dev pci.ids hwloc
  # the virtual lab: kernel source, kernel build tools, QEMU, guest userland
  linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
  qemu-system-x86 busybox-static
)
[ "$set_" = all ] && packages+=(
  python3
  # the other parts' libraries: benchmarks (PAPI), tests
  libpapi-dev libbenchmark-dev googletest libgtest-dev libgmock-dev
  # p2pscope-gui: Dear ImGui, GLFW, OpenGL, libcurl, libpng, its font; Xvfb and Mesa's software OpenGL for its window tests
  libimgui-dev libglfw3-dev libgl-dev libopengl-dev libcurl4-openssl-dev libpng-dev fonts-dejavu-core libgl1-mesa-dri xvfb
  # p2pscoped: prometheus-cpp (its CMake config wants civetweb) and zlib; Prometheus, promtool and a Pushgateway for its tests
  prometheus-cpp-dev libcivetweb-dev zlib1g-dev prometheus prometheus-pushgateway
  # references the tests and benchmarks compare against; the stock headers the module must build on
  pciutils jq python3-scipy fio linux-headers-amd64
  # the Debian packages' checks: lintian, and DKMS building the module's package against the lab kernels
  lintian dkms
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${#missing[@]} package(s) and what they need: ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then echo "install-deps: run as root to install packages" >&2; exit 2; fi
export DEBIAN_FRONTEND=noninteractive
t0=$SECONDS
log=$(mktemp "${TMPDIR:-/tmp}/p2pscope-install-deps.XXXXXX.log")
if [ -t 2 ]; then
  # On a terminal: apt's own progress (downloads, then dpkg's progress bar).
  rc=0
  { apt-get update -q && apt-get install -y -q --no-install-recommends -o Dpkg::Progress-Fancy=1 "${missing[@]}"; } >&2 || rc=$?
else
  rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 || rc=$?
  [ $rc = 0 ] || tail -n 20 "$log" >&2
fi
[ $rc = 0 ] || { echo "install-deps: apt-get failed (exit $rc; log: $log)" >&2; exit 1; }
rm -f "$log"
echo "install-deps: installed in $((SECONDS - t0)) s" >&2
