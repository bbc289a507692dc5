#!/usr/bin/env bash
# derived_input.sh CASE EXPECT P2PSCOPE FIXTURES
# One expect.sh case on an input made from the fixtures the way users come by
# it: pciutils' dumps rendered as `lspci -vvv` text by lspci itself, an hwloc
# XML edited by hand, a dump that lacks a device.
set -u
name=$1 expect=$2 p2pscope=$3 fx=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dump=$fx/lspci-dump/cap-aer-root
case $name in
  lspci_text | topo_file_lspci_text)
    { lspci -F "$dump" -vvv -nn && echo && lspci -F "$dump" -tv; } >"$work/lspci-vvv.txt" 2>/dev/null || exit 1
    if [ "$name" = lspci_text ]; then
      "$expect" 0 stdout "ACS redirect set at 0000:00:02.0 \\(ReqRedir CmpltRedir\\)" -- \
        "$p2pscope" topo --lspci-text "$work/lspci-vvv.txt" --devices 00:02.0,03:00.0
    else
      "$expect" 0 stdout "^Source: lspci-text:$work/lspci-vvv.txt$" -- "$p2pscope" topo "$work/lspci-vvv.txt"
    fi ;;
  duplicate_xml)
    sed 's/pci_busid="0000:36:00.0"/pci_busid="0000:34:00.0"/' "$fx/hwloc-xml/nvidiaDGX2.xml" >"$work/dup.xml" || exit 1
    "$expect" 2 stderr "^p2pscope topo: $work/dup.xml: device 0000:34:00.0 appears twice \\(" -- \
      "$p2pscope" topo "$work/dup.xml" --class gpu ;;
  partial_dump)
    # tree-asus-p6t6 without the NF200 switch's upstream port 02:00.0.
    awk '/^02:00.0 /{s=1} !s{print} s&&/^$/{s=0}' "$fx/lspci-dump/tree-asus-p6t6" >"$work/partial" || exit 1
    "$expect" 0 stdout "host bridges: [0-9]+ and 1 tree whose bridge above is missing \\(bus 0000:03\\)" -- \
      "$p2pscope" topo --lspci-dump "$work/partial" --devices 04:00.0,06:00.0 ;;
  *) echo "derived_input.sh: unknown case $name" >&2; exit 2 ;;
esac
