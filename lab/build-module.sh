#!/usr/bin/env bash
# Build p2pscope's kernel module (kmod/) against the lab kernel.
#   lab/build-module.sh [--version V] [release|debug|net] [MAKE-ARGS...]
# Prints the path of each built .ko on stdout; run it in the lab with
#   lab/run --kernel VARIANT --add "$(lab/build-module.sh VARIANT)" -- insmod /lab/add/NAME.ko
#
# Kbuild (6.1) writes a module's objects next to its sources, so building in
# kmod/ itself would mix release and debug objects and collide with whoever
# builds there at the same time. The build therefore runs in a per-variant
# mirror under the cache (one per checkout, kernel version and variant): kmod/'s sources as a tree of symlinks (kept between
# runs, so rebuilds are incremental), every other top-level entry of the repository as a
# symlink, so that relative paths such as $(src)/../include still resolve.
# kmod/Makefile is called with KDIR=<kernel object dir>; without a Makefile the
# script calls Kbuild directly (make -C <obj> M=<dir> modules), which works for
# an O= build because the object directory has its own Makefile.
set -euo pipefail
lab_prog="lab/build-module.sh"
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

version=$lab_default_version
case "${1:-}" in
  --version) [ $# -ge 2 ] || { echo "lab/build-module.sh: --version needs a value" >&2; exit 2; }; version=$2; shift 2 ;;
  --version=*) version=${1#*=}; shift ;;
esac
lab_check_version "$version" || exit 2
variant=${1:-release}
case "$variant" in
  release|debug|net) ;;
  -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "lab/build-module.sh: unknown variant '$variant' (release|debug|net)" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
kmod=$lab_repo/kmod
[ -f "$kmod/Kbuild" ] || [ -f "$kmod/Makefile" ] || { echo "lab/build-module.sh: no kmod/Kbuild or kmod/Makefile in $lab_repo" >&2; exit 2; }

obj=$(lab_kernel_obj "$variant" "$version")
[ -f "$obj/Module.symvers" ] || lab_die "$obj has no Module.symvers (the kernel build runs 'make modules' for it)"

bd=$lab_cache/kmod/$(echo "$lab_repo" | sha256sum | cut -c1-12)/$version-$variant
mkdir -p "$bd"
exec 9>"$bd.lock"
flock 9
# Refresh the mirror with kmod/'s sources only: what git tracks or would track
# (untracked but not ignored), never the build products of an in-place build
# (a symlinked .o or .cmd would make Kbuild write through into kmod/).
if git -C "$lab_repo" rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t srcs < <(git -C "$lab_repo" ls-files -co --exclude-standard -- kmod)
else
  mapfile -t srcs < <(cd "$lab_repo" && find kmod -type f ! -name '*.o' ! -name '*.ko' ! -name '*.cmd' \
    ! -name '*.mod' ! -name '*.mod.c' ! -name 'Module.symvers' ! -name 'modules.order' | sort)
fi
[ ${#srcs[@]} -gt 0 ] || lab_die "found no sources in $kmod"
declare -A want=()
for f in "${srcs[@]}"; do
  [ -f "$lab_repo/$f" ] || continue      # deleted but still in the index
  want[$bd/$f]=1
  mkdir -p "$bd/$(dirname "$f")"
  [ "$(readlink "$bd/$f" 2>/dev/null)" = "$lab_repo/$f" ] || ln -sfn "$lab_repo/$f" "$bd/$f"
done
while IFS= read -r -d '' l; do
  [ -n "${want[$l]:-}" ] || rm -f "$l"
done < <(find "$bd/kmod" -type l -print0)
# Siblings of kmod/ (so that $(src)/../something resolves as in the repository).
for e in "$lab_repo"/* "$lab_repo"/.[!.]*; do
  name=${e##*/}
  case "$name" in kmod|.git|build*) continue ;; esac
  [ -e "$e" ] || continue
  ln -sfn "$e" "$bd/$name"
done

log=$bd/build.log
# Run from inside the mirror, so that a Makefile using $(PWD) (as the kernel's
# own examples do) sees the mirror too.
if [ -f "$bd/kmod/Makefile" ]; then
  make_cmd=(make KDIR="$obj" "$@")
else
  make_cmd=(make -C "$obj" M="$bd/kmod" "$@" modules)
fi
echo "lab/build-module.sh: (cd $bd/kmod && ${make_cmd[*]})" >&2
if ! (cd "$bd/kmod" && "${make_cmd[@]}") >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "lab/build-module.sh: build failed, see $log" >&2
  exit 1
fi
grep -E 'warning:|error:' "$log" >&2 || true
mapfile -t kos < <(find "$bd/kmod" -name '*.ko' -type f | sort)
[ ${#kos[@]} -gt 0 ] || { echo "lab/build-module.sh: the build made no .ko (see $log)" >&2; exit 1; }
printf '%s\n' "${kos[@]}"
