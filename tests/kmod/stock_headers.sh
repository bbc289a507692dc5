#!/usr/bin/env bash
# The module builds against Debian 12's stock kernel headers (linux-headers-amd64,
# 6.1, which lack CONFIG_PCI_P2PDMA), with W=1 and no warning, and its compile
# probes find the features that kernel has and lacks.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
hdr=$(ls -1d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
fail() { echo "FAIL: $*"; exit 1; }
[ -n "$hdr" ] && [ -f "$hdr/Module.symvers" ] || fail "no Debian kernel headers in /usr/src (apt-get install linux-headers-amd64)"
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-kmod-stock.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Kbuild writes objects next to the sources: build a copy of the sources.
(cd "$top" && git ls-files -z --cached --others --exclude-standard kmod | xargs -0 cp --parents -t "$work") ||
  fail "cannot copy kmod/"
make -C "$work/kmod" KDIR="$hdr" W=1 >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; fail "build against $hdr failed"; }
ko=$work/kmod/p2pscope.ko
[ -f "$ko" ] || fail "no p2pscope.ko"
echo "ok: p2pscope.ko built against $(basename "$hdr")"
if grep -E 'warning:' "$work/build.log"; then fail "the build printed warnings"; fi
echo "ok: no compiler warnings with W=1"
lic=$(modinfo -F license "$ko")
[ "$lic" = GPL ] || fail "license is '$lic', expected GPL"
echo "ok: license GPL"
vermagic=$(modinfo -F vermagic "$ko")
case "$vermagic" in 6.1.*) echo "ok: vermagic $vermagic";; *) fail "vermagic '$vermagic' is not 6.1";; esac
feat=$work/kmod/p2pscope_features.h
[ -f "$feat" ] || fail "the compile probes wrote no p2pscope_features.h"
# An absent feature is a comment saying why its probe did not compile.
absent() { ! grep -q "^#define P2PSCOPE_HAVE_$1 " "$feat" && grep -q "P2PSCOPE_HAVE_$1: does not compile" "$feat"; }
present() { grep -q "^#define P2PSCOPE_HAVE_$1 1" "$feat"; }
absent PCI_P2PDMA || { cat "$feat"; fail "the probes should find no P2PDMA in Debian's stock kernel"; }
echo "ok: probes: no P2PDMA in the stock kernel (CONFIG_PCI_P2PDMA is off there)"
absent DMA_IOVA || { cat "$feat"; fail "the probes should find no dma_iova_* API in 6.1"; }
echo "ok: probes: no dma_iova_* two-step API in 6.1"
present DMA_BUF || { cat "$feat"; fail "the probes should find dma-buf import in 6.1"; }
echo "ok: probes: dma-buf import present"
echo "PASS: stock_headers"
