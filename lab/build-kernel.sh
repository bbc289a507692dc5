#!/usr/bin/env bash
# Build (or find in the cache) a lab kernel from Debian's kernel source.
#   lab/build-kernel.sh [--version V] [release|debug|net]    prints the build directory on stdout
# V is 6.1 (default: Debian 12's linux-source-6.1), 6.12 or 7.2 (linux-source-V
# from Debian's newer suites, downloaded once: lab/lib.sh lab_kernel_tarball).
# The configuration is `make allnoconfig` plus lab/kernel/p2pscope.config, plus
# debug.config for the debug variant (net.config for the net variant: the
# release kernel with networking, for p2pscoped's live view), plus
# p2pscope-V.config and debug-V.config where a release moved something; every
# option asked for is checked to have survived. The build directory holds arch/x86/boot/bzImage, .config and
# Module.symvers, so out-of-tree modules build against it. It is cached outside
# the source tree, keyed by the source package's version and the content of
# every config input, so a second run costs nothing. On a terminal a live line
# shows the files compiled, elapsed time and, after a first build, the
# percentage; otherwise one line per step.
set -euo pipefail
lab_prog="build-kernel.sh"
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

version=$lab_default_version variant=release
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --version) [ $# -ge 2 ] || { echo "build-kernel.sh: --version needs a value" >&2; exit 2; }; version=$2; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    release|debug|net) variant=$1; shift ;;
    *) echo "build-kernel.sh: unknown argument '$1' (release|debug|net, --version V)" >&2; exit 2 ;;
  esac
done
lab_check_version "$version" || exit 2

# The fragments: the lab's options, the debug options for the debug variant,
# and for each the version's own additions where a release moved something.
fragments=()
for f in p2pscope p2pscope-$version $(case $variant in debug) echo debug debug-$version ;; net) echo net ;; esac); do
  [ -f "$lab_here/kernel/$f.config" ] && fragments+=("$lab_here/kernel/$f.config")
done

# The source package's version is part of the key: resolve it first (for 6.1
# the installed package; otherwise the cached download, fetched on first use).
lab_die_status=2 lab_kernel_tarball "$version"   # sets lab_tarball, lab_srcver
key=$( { echo "$version $lab_srcver $variant recipe=3 allnoconfig"; cat "${fragments[@]}"; } | sha256sum | cut -c1-16)
obj="$lab_cache/kernel/$version-$variant-$key"
if [ -f "$obj/.p2pscope-built" ]; then echo "$obj"; exit 0; fi

# One build at a time (2 cores; and two builds of one variant would share a
# directory): wait for a build that is already running, then look again.
mkdir -p "$lab_cache/kernel"
exec 9>"$lab_cache/kernel/.build.lock"
if ! flock -n 9; then
  echo "build-kernel.sh: another kernel build is running; waiting for it" >&2
  flock 9
fi
if [ -f "$obj/.p2pscope-built" ]; then echo "$obj"; exit 0; fi

src=$(lab_unpacked_source "$version") || exit 1
rm -rf "$obj"; mkdir -p "$obj"
log="$obj/build.log"
label="kernel $version $variant"
# merge_config.sh -n: allnoconfig with the fragments as KCONFIG_ALLCONFIG.
lab_step "$label: configuring" "$log" 0 \
  env -C "$src" scripts/kconfig/merge_config.sh -n -O "$obj" "${fragments[@]}" ||
  { tail -n 20 "$log" >&2; lab_die "configuring failed, see $log"; }

# Every option a fragment asks for must have survived Kconfig's dependency
# resolution; a silently dropped option would make the lab test something else.
missing=0
for f in "${fragments[@]}"; do
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=n) opt=${line%%=*}
        if grep -q "^$opt=[ym]" "$obj/.config"; then echo "build-kernel.sh: $opt still set (wanted off)" >&2; missing=1; fi ;;
      CONFIG_*=*) if ! grep -qx "$line" "$obj/.config"; then echo "build-kernel.sh: $line did not survive (dependency missing?) in $obj/.config" >&2; missing=1; fi ;;
    esac
  done <"$f"
done
[ $missing = 0 ] || exit 1

# The number of files the last build of this version and variant compiled
# makes the percentage of the next one.
count_file="$lab_cache/kernel/$version-$variant.files"
expected=0
[ -f "$count_file" ] && read -r expected <"$count_file"
echo "build-kernel.sh: building the $version $variant kernel in $obj (log: $log)" >&2
lab_step "$label: compiling" "$log" "$expected" make -C "$src" O="$obj" -j"$(nproc)" bzImage modules ||
  { tail -n 30 "$log" >&2; lab_die "build failed, see $log"; }
lab_count_steps "$log" >"$count_file"
touch "$obj/.p2pscope-built"
# Bounded cache: the three newest builds of this version and variant stay
# (other checkouts may still want an older configuration), older ones go.
ls -1dt "$lab_cache/kernel/$version-$variant-"*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
echo "$obj"
