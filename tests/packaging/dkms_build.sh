#!/usr/bin/env bash
# dkms_build.sh BUILD_DIR: the p2pscope-dkms package's sources, as installed
# (from the package CPack makes), built by DKMS itself against the lab's 6.1
# and 7.2 kernels; DKMS's trees are private to the test, so the machine's own
# DKMS state is not touched. The module it builds must say its version.
set -u
build=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" -D CPACK_COMPONENTS_ALL=dkms) >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAIL: cpack"; exit 1; }
deb=$(ls "$work"/out/p2pscope-dkms_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/root"
src=$work/root/usr/src
for v in 6.1 7.2; do
  kdir=$("$repo/lab/build-kernel.sh" --version "$v" release 2>/dev/null | tail -n 1)
  if [ ! -f "$kdir/include/config/kernel.release" ]; then bad "no $v release lab kernel in $kdir"; continue; fi
  krel=$(cat "$kdir/include/config/kernel.release")
  tree=$work/dkms-$v
  mkdir -p "$tree"
  if dkms add -m p2pscope -v "$version" --dkmstree "$tree" --sourcetree "$src" >"$work/add-$v.log" 2>&1 &&
     dkms build -m p2pscope -v "$version" -k "$krel" --kernelsourcedir "$kdir" --dkmstree "$tree" \
       --sourcetree "$src" >"$work/build-$v.log" 2>&1; then
    ko=$(find "$tree/p2pscope/$version/$krel" -name 'p2pscope.ko*' | head -n 1)
    if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$krel "; then
      ok "dkms builds p2pscope $version for the lab's $v kernel ($krel): $(basename "$ko")"
    else
      bad "dkms build for $krel left no module for that kernel (${ko:-none})"
    fi
  else
    bad "dkms add/build for the lab's $v kernel ($krel)"
    cat "$work/add-$v.log" "$work/build-$v.log" 2>/dev/null | tail -n 20
    find "$tree" -name make.log -exec tail -n 20 {} \;
  fi
done
echo "$fails failure(s)"
[ "$fails" = 0 ]
