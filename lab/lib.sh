# shellcheck shell=bash
# Shared helpers for the lab's scripts (sourced, not run).
# Paths follow lab/build-kernel.sh: everything built lives under $P2PSCOPE_CACHE
# (default ~/.cache/p2pscope), keyed by content, never inside the repository.

lab_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab_repo=$(cd "$lab_here/.." && pwd)
lab_cache=${P2PSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pscope}

lab_die() { echo "${lab_prog:-lab}: $*" >&2; exit "${lab_die_status:-4}"; }

# The unpacked Debian kernel source that build-kernel.sh uses.
lab_src_dir() {
  local srcver
  srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
    lab_die "linux-source-6.1 is not installed (apt-get install linux-source-6.1)"
  echo "$lab_cache/src/linux-source-6.1-$srcver"
}

# lab_kernel_obj VARIANT: the kernel's object directory, built on first use
# (about 9 minutes for release on 2 cores; build-kernel.sh serialises builds).
lab_kernel_obj() {
  local obj
  obj=$("$lab_here/build-kernel.sh" "$1") || lab_die "building the $1 kernel failed (lab/build-kernel.sh $1)"
  [ -f "$obj/arch/x86/boot/bzImage" ] || lab_die "no bzImage in $obj"
  echo "$obj"
}

# lab_tools_dir: host-built helpers, from the kernel source, cached by content:
#   dma_map_benchmark  tools/testing/selftests/dma/dma_map_benchmark.c, static:
#                      the kernel's own map benchmark, the oracle for p2pscope's
#                      map timings (needs CONFIG_DMA_MAP_BENCHMARK in the guest)
#   gen_init_cpio      usr/gen_init_cpio.c: writes the initramfs from a list,
#                      so /dev/console and root ownership need no privileges
lab_tools_dir() {
  local src tool_c cpio_c hdr key dir tmp
  src=$(lab_src_dir)
  [ -f "$src/.p2pscope-unpacked" ] || lab_die "kernel source not unpacked yet in $src (run lab/build-kernel.sh)"
  tool_c=$src/tools/testing/selftests/dma/dma_map_benchmark.c
  cpio_c=$src/usr/gen_init_cpio.c
  # The header is UAPI in newer kernels; 6.1 keeps it in include/linux.
  hdr=$src/include/uapi/linux/map_benchmark.h
  [ -f "$hdr" ] || hdr=$src/include/linux/map_benchmark.h
  key=$(cat "$tool_c" "$hdr" "$cpio_c" | { cat; echo "tools recipe=1"; } | sha256sum | cut -c1-16)
  dir=$lab_cache/lab/tools-$key
  if [ ! -f "$dir/.built" ]; then
    mkdir -p "$lab_cache/lab"
    tmp=$(mktemp -d "$lab_cache/lab/.tools.XXXXXX")
    mkdir -p "$tmp/include/linux"
    cp "$hdr" "$tmp/include/linux/map_benchmark.h"
    # The header uses _IOWR and __u64 without including their headers, as the
    # selftest's own build does; the C library's linux/ headers provide them.
    cc -static -O2 -Wall -include sys/ioctl.h -include linux/types.h -I"$tmp/include" \
       -o "$tmp/dma_map_benchmark" "$tool_c" 2>"$tmp/cc.log" ||
      { cat "$tmp/cc.log" >&2; rm -rf "$tmp"; lab_die "compiling dma_map_benchmark failed"; }
    cc -O2 -o "$tmp/gen_init_cpio" "$cpio_c" 2>"$tmp/cc.log" ||
      { cat "$tmp/cc.log" >&2; rm -rf "$tmp"; lab_die "compiling gen_init_cpio failed"; }
    touch "$tmp/.built"
    rm -rf "$dir"
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"   # another run may have won the race
  fi
  echo "$dir"
}
