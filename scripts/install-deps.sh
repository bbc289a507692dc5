#!/usr/bin/env bash
# Installs, from Debian 12's archive, every package p2pscope builds, tests and
# runs its lab with. Idempotent and quiet when everything is present.
set -euo pipefail
packages=(
  # build
  build-essential cmake pkg-config git python3
  # libraries found by CMake
  libhwloc-dev libpci-dev libpapi-dev libbenchmark-dev prometheus-cpp-dev libimgui-dev libglfw3-dev
  googletest libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
  # p2pscope-gui: OpenGL, libcurl, libpng, its font; Xvfb and Mesa's software OpenGL for its window tests
  libgl-dev libopengl-dev libcurl4-openssl-dev libpng-dev fonts-dejavu-core libgl1-mesa-dri xvfb
  # p2pscoped: civetweb and zlib (with prometheus-cpp); Prometheus, promtool and a Pushgateway for its tests
  libcivetweb-dev zlib1g-dev prometheus prometheus-pushgateway
  # references the tests and benchmarks compare against
  hwloc pciutils pci.ids jq python3-scipy
  # the virtual lab: kernel source and headers, kernel build tools, QEMU, guest userland
  linux-source-6.1 linux-headers-amd64 bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
  qemu-system-x86 busybox-static fio
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then echo "install-deps: run as root to install packages" >&2; exit 2; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
