#!/usr/bin/env bash
# Build (or find in the cache) the lab kernel from Debian's linux-source-6.1.
#   lab/build-kernel.sh [release|debug]     prints the build directory on stdout
# The build directory holds arch/x86/boot/bzImage, .config and Module.symvers, so
# out-of-tree modules build against it. It is cached outside the source tree,
# keyed by the source package's version and the content of every config input,
# so a second run costs nothing.
set -euo pipefail
variant=${1:-release}
case "$variant" in release|debug) ;; *) echo "build-kernel.sh: unknown variant '$variant' (release|debug)" >&2; exit 2;; esac

here=$(cd "$(dirname "$0")" && pwd)
cache=${P2PSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pscope}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "build-kernel.sh: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 2; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)

fragments=("$here/kernel/p2pscope.config")
[ "$variant" = debug ] && fragments+=("$here/kernel/debug.config")
key=$( { echo "$srcver $variant recipe=2"; cat "${fragments[@]}"; } | sha256sum | cut -c1-16)
obj="$cache/kernel/$variant-$key"
if [ -f "$obj/.p2pscope-built" ]; then echo "$obj"; exit 0; fi

# One build at a time (2 cores; and two builds of one variant would share a
# directory): wait for a build that is already running, then look again.
mkdir -p "$cache/kernel"
exec 9>"$cache/kernel/.build.lock"
if ! flock -n 9; then
  echo "build-kernel.sh: another kernel build is running; waiting for it" >&2
  flock 9
fi
if [ -f "$obj/.p2pscope-built" ]; then echo "$obj"; exit 0; fi

src="$cache/src/linux-source-6.1-$srcver"
if [ ! -f "$src/.p2pscope-unpacked" ]; then
  echo "build-kernel.sh: unpacking $tarball" >&2
  rm -rf "$src"; mkdir -p "$src"
  tar -xf "$tarball" -C "$src" --strip-components=1
  touch "$src/.p2pscope-unpacked"
fi

rm -rf "$obj"; mkdir -p "$obj"
log="$obj/build.log"
echo "build-kernel.sh: building $variant kernel in $obj (log: $log)" >&2
{
  make -C "$src" O="$obj" x86_64_defconfig
  "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
      "$src/kernel/configs/kvm_guest.config" "${fragments[@]}"
  make -C "$src" O="$obj" olddefconfig
} >"$log" 2>&1 || { echo "build-kernel.sh: configuring failed, see $log" >&2; exit 1; }

# Every option a fragment asks for must have survived olddefconfig's dependency
# resolution; a silently dropped option would make the lab test something else.
missing=0
for f in "${fragments[@]}"; do
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=n) opt=${line%%=*}
        if grep -q "^$opt=[ym]" "$obj/.config"; then echo "build-kernel.sh: $opt still set (wanted off)" >&2; missing=1; fi ;;
      CONFIG_*=*) if ! grep -qx "$line" "$obj/.config"; then echo "build-kernel.sh: $line did not survive (dependency missing?)" >&2; missing=1; fi ;;
    esac
  done <"$f"
done
[ $missing = 0 ] || exit 1

jobs=$(nproc)
if ! make -C "$src" O="$obj" -j"$jobs" bzImage modules >>"$log" 2>&1; then
  tail -n 30 "$log" >&2; echo "build-kernel.sh: build failed, see $log" >&2; exit 1
fi
touch "$obj/.p2pscope-built"
echo "$obj"
