# shellcheck shell=bash
# Shared helpers for the lab's scripts (sourced, not run).
# Paths follow lab/build-kernel.sh: everything built lives under $P2PSCOPE_CACHE
# (default ~/.cache/p2pscope), keyed by content, never inside the repository.

lab_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab_repo=$(cd "$lab_here/.." && pwd)
lab_cache=${P2PSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pscope}

lab_die() { echo "${lab_prog:-lab}: $*" >&2; exit "${lab_die_status:-4}"; }

# Kernel messages worth a look: bugs, sanitizer and DMA-API reports, IOMMU faults.
# (CPU-vulnerability notices such as "RETBleed: WARNING: ..." are not bugs.)
# DMA-API: only its per-device reports ("DMA-API: nvme 0000:03:00.0: ...") and
# its giving up, not its start-up lines.
lab_alerts_re='BUG:|WARNING:|Oops|general protection|KASAN:|UBSAN:|DMA-API: [^ ]+ [^ ]+: |DMA-API:.*disabl|kmemleak:.*new suspected|DMAR: \[DMA|DMAR:.*fault|AMD-Vi:.*(Event|fault)|Kernel panic|hung_task|soft lockup|circular locking|possible recursive locking|INFO: task'
lab_alerts_skip='RETBleed:|Spectre|MDS:|MMIO Stale Data:|TAA:|SRBDS:|GDS:|mitigation'
lab_alert_lines() {   # KERNEL-LOG: the lines lab/run counts as kernel_log_alerts
  grep -E "$lab_alerts_re" "$1" 2>/dev/null | grep -vE "$lab_alerts_skip"
}
# lab_alerts_besides_pciehp KERNEL-LOG: true when the log has no alert, or only
# the one 6.1's pciehp makes on every hot-unplug under lockdep (its reset_lock
# taken again under pci_rescan_remove_lock in pciehp_unconfigure_device), with
# no p2pscope frame in it; tests/lab/pciehp_lockdep_control.sh proves that the
# kernel makes it without p2pscope.
lab_alerts_besides_pciehp() {
  local other splat
  other=$(lab_alert_lines "$1" | grep -v 'possible circular locking dependency detected')
  [ -z "$other" ] || return 1
  splat=$(sed -n '/possible circular locking dependency detected/,/<\/TASK>/p' "$1")
  [ -z "$splat" ] && return 0
  grep -q reset_lock <<<"$splat" && grep -q pci_rescan_remove_lock <<<"$splat" && ! grep -q p2pscope <<<"$splat"
}

# Kernel versions the lab builds (lab/build-kernel.sh --version), and the
# default: Debian 12's own.
lab_versions="6.1 6.12 7.2"
lab_default_version=6.1
# lab_host_cpus: the host CPUs this process may run on, one per line (from
# Cpus_allowed_list, e.g. "0-3,6")
lab_host_cpus() {
  sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' '\n' |
    awk -F- '/^[0-9]+(-[0-9]+)?$/ { for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }'
}
lab_check_version() {   # V: 0 when the lab knows V, else a message and 1
  case " $lab_versions " in *" $1 "*) return 0 ;; esac
  echo "${lab_prog:-lab}: unknown kernel version '$1' (one of: $lab_versions)" >&2
  return 1
}

# lab_step LABEL LOG EXPECTED CMD...: run CMD with its output appended to LOG.
# On a terminal, a live line: LABEL, the files compiled so far (Kbuild's
# "  CC " lines; "of EXPECTED, N %" when EXPECTED > 0) and the elapsed time.
# Otherwise (CI), one line when it ends, with its duration. CMD's status.
lab_count_steps() { grep -cE '^  (CC|AS|LD|AR|HOSTCC)  ' "$1" 2>/dev/null || true; }
lab_elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
lab_step() {
  local label=$1 log=$2 expected=$3 t0=$SECONDS pid rc n what traps
  shift 3
  traps=$(trap -p EXIT INT TERM HUP)
  # Its own process group, so that an interrupted caller takes the whole build
  # down with it (an orphaned make would keep the build lock).
  setsid "$@" >>"$log" 2>&1 &
  pid=$!
  trap 'kill -TERM -- -'"$pid"' 2>/dev/null' EXIT
  trap 'kill -TERM -- -'"$pid"' 2>/dev/null; exit 130' INT TERM HUP
  if [ -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      n=$(lab_count_steps "$log") what=$label
      if [ "$n" -gt 0 ]; then
        what="$label: $n files"
        [ "$expected" -gt 0 ] && what+=" of ~$expected ($(( n * 100 / expected > 99 ? 99 : n * 100 / expected )) %)"
      fi
      printf '\r\033[K%s: %s, %s' "${lab_prog:-lab}" "$what" "$(lab_elapsed $((SECONDS - t0)))" >&2
      sleep 1
    done
    printf '\r\033[K' >&2
  fi
  wait "$pid"; rc=$?
  trap - EXIT INT TERM HUP; eval "$traps"   # the caller's own traps again
  n=$(lab_count_steps "$log")
  if [ $rc = 0 ]; then
    echo "${lab_prog:-lab}: $label: done in $(lab_elapsed $((SECONDS - t0)))$([ "$n" -gt 0 ] && echo " ($n files)")" >&2
  else
    echo "${lab_prog:-lab}: $label: FAILED after $(lab_elapsed $((SECONDS - t0))) (exit $rc; log: $log)" >&2
  fi
  return $rc
}

# lab_kernel_tarball V: sets lab_tarball (linux-source-V's tarball) and
# lab_srcver (its Debian version). 6.1 is the installed package; newer ones are
# downloaded once with `apt-get download` under a private apt configuration in
# the cache (its own sources list, lists and archives; the machine's apt
# sources are never touched; apt verifies the signatures against Debian's
# keyring) and reused from then on.
lab_kernel_tarball() {
  local v=$1 pkg=linux-source-$1 dir deb
  if [ "$v" = 6.1 ]; then
    lab_tarball=/usr/src/$pkg.tar.xz
    lab_srcver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) && [ -f "$lab_tarball" ] ||
      lab_die "$pkg is not installed (apt-get install $pkg; scripts/install-deps.sh does)"
    return 0
  fi
  dir=$lab_cache/apt
  deb=$(ls -1 "$dir"/archives/"${pkg}"_*_all.deb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$deb" ]; then
    lab_fetch_package "$pkg" || lab_die "could not download $pkg from Debian's archive (log: $dir/apt.log)"
    deb=$(ls -1 "$dir"/archives/"${pkg}"_*_all.deb 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$deb" ] || lab_die "apt-get download $pkg left no package in $dir/archives"
  fi
  lab_srcver=$(dpkg-deb -f "$deb" Version)
  lab_tarball=$dir/src/$pkg-$lab_srcver.tar.xz
  if [ ! -f "$lab_tarball" ]; then
    mkdir -p "$dir/src"
    local tmp; tmp=$(mktemp -d "$dir/src/.x.XXXXXX")
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./usr/src/$pkg.tar.xz" ||
      { rm -rf "$tmp"; lab_die "$deb holds no usr/src/$pkg.tar.xz"; }
    mv "$tmp/usr/src/$pkg.tar.xz" "$lab_tarball"; rm -rf "$tmp"
  fi
}

# lab_fetch_package PKG: apt-get download PKG into $lab_cache/apt/archives from
# Debian's newer suites, at the mirror this machine's own apt sources use.
lab_fetch_package() {
  local pkg=$1 dir=$lab_cache/apt mirror opts
  mirror=$(lab_debian_mirror) || return 1
  mkdir -p "$dir"/{lists/partial,archives/partial,cache,etc/preferences.d}
  {
    for s in bookworm-backports trixie trixie-backports sid; do
      echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
    done
  } >"$dir/etc/sources.list"
  opts=(-o Dir::Etc::SourceList="$dir/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$dir/etc/preferences.d"
        -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Debug::NoLocking=1
        -o APT::Sandbox::User=root)
  lab_step "apt-get update (private lists in $dir)" "$dir/apt.log" 0 apt-get "${opts[@]}" update || return 1
  (cd "$dir/archives" && lab_step "apt-get download $pkg" "$dir/apt.log" 0 apt-get "${opts[@]}" download "$pkg")
}

# The Debian archive's address as this machine's apt sources give it.
lab_debian_mirror() {
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) print $i }' | grep -v security | head -n 1)
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
      awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' | grep -v security | grep '/debian/*$' | head -n 1)
  [ -n "$m" ] || { echo "${lab_prog:-lab}: no Debian archive in this machine's apt sources" >&2; return 1; }
  echo "$m"
}

# lab_unpacked_source V: the unpacked source of version V, unpacked on first use.
lab_unpacked_source() {
  local v=$1 src
  lab_kernel_tarball "$v"
  src=$lab_cache/src/linux-source-$v-$lab_srcver
  if [ ! -f "$src/.p2pscope-unpacked" ]; then
    mkdir -p "$lab_cache/src"
    (   # one unpacker at a time; a second waits and finds it done
      flock 8
      if [ ! -f "$src/.p2pscope-unpacked" ]; then
        rm -rf "$src"; mkdir -p "$src"
        lab_step "unpacking $lab_tarball" "$lab_cache/src/unpack.log" 0 \
          tar -xf "$lab_tarball" -C "$src" --strip-components=1 || lab_die "unpacking $lab_tarball failed"
        touch "$src/.p2pscope-unpacked"
      fi
    ) 8>"$lab_cache/src/.unpack.lock" || exit
  fi
  echo "$src"
}

# lab_kernel_obj VARIANT [VERSION]: the kernel's object directory, built on first
# use (a few minutes on 2 cores; build-kernel.sh serialises builds).
lab_kernel_obj() {
  local obj
  obj=$("$lab_here/build-kernel.sh" --version "${2:-$lab_default_version}" "$1") ||
    lab_die "building the ${2:-$lab_default_version} $1 kernel failed (lab/build-kernel.sh --version ${2:-$lab_default_version} $1)"
  [ -f "$obj/arch/x86/boot/bzImage" ] || lab_die "no bzImage in $obj"
  echo "$obj"
}

# lab_tools_dir: host-built helpers, from the kernel source, cached by content:
#   dma_map_benchmark  tools/testing/selftests/dma/dma_map_benchmark.c (tools/dma/
#                      from 6.19 on; 7.2's has map_mode, -m 1 for SG), static:
#                      the kernel's own map benchmark, the oracle for p2pscope's
#                      map timings (needs CONFIG_DMA_MAP_BENCHMARK in the guest)
#   gen_init_cpio      usr/gen_init_cpio.c: writes the initramfs from a list,
#                      so /dev/console and root ownership need no privileges
lab_tools_dir() {   # [VERSION]: from that version's source, for its UAPI
  local src tool_c cpio_c hdr key dir tmp
  src=$(lab_unpacked_source "${1:-$lab_default_version}") || exit
  tool_c=$src/tools/testing/selftests/dma/dma_map_benchmark.c
  [ -f "$tool_c" ] || tool_c=$src/tools/dma/dma_map_benchmark.c
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
