#!/usr/bin/env bash
# cli_sysfs.sh P2PSCOPE FIXTURES EXPECT
# p2pscope qualify on machines unpacked from their sysfs tarballs
# (../shared/fixtures/topology): a NOT_SUPPORTED failure with the kernel's
# reason, a pass with waivers, a degraded link (an unpacked copy with one link
# trained at x8), and the JSON report checked with jq.
set -u
p2pscope=$1 fx=$2 expect=$3
source "$(dirname "$0")/lib.sh"
tar -xjf "$fx/hwloc-sysfs/40intel64-2g2n4c+pci.tar.bz2" -C "$dir" || exit 1
tar -xjf "$fx/hwloc-sysfs/32intel64-2p8co2t+8ve.tar.bz2" -C "$dir" || exit 1
mkdir -p "$dir/laptop" "$dir/degraded"
tar -xzf "$fx/sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz" -C "$dir/laptop" || exit 1
tar -xjf "$fx/hwloc-sysfs/32intel64-2p8co2t+8ve.tar.bz2" -C "$dir/degraded" || exit 1
r910=$dir/40intel64-2g2n4c+pci sm=$dir/32intel64-2p8co2t+8ve laptop=$dir/laptop deg=$dir/degraded/32intel64-2p8co2t+8ve
# A Vector Engine that trained at x8 in its x16 slot.
echo 8 >"$deg/sys/bus/pci/devices/0000:1b:00.0/current_link_width"

# Dell R910: its host bridge 8086:3407 is not on the kernel's whitelist: two NICs on different root ports fail.
check 1 stdout "^  FAIL    p2pdma           NOT_SUPPORTED \\(allowed: BUS_ADDR, THRU_HOST_BRIDGE\\): .*\\[8086:3407\\] is not on the kernel's P2PDMA host bridge whitelist" \
    -- "$p2pscope" qualify --sysfs-root "$r910" --devices 02:00.0,03:00.0
check 1 stderr "^p2pscope qualify: 1 check\\(s\\) failed on 1 of 1 pair\\(s\\)$" -- "$p2pscope" qualify --sysfs-root "$r910" --devices 02:00.0,03:00.0
# Its only display is the BMC's Matrox G200eW, not a GPU: no pair is meant for P2P by default.
check 3 stderr "^p2pscope qualify: nothing to check: no pair of devices meant for P2P" -- "$p2pscope" qualify --sysfs-root "$r910"
# Supermicro SYS-4029GP-TRT2: no failure; what the data cannot decide is waived and counted.
check 0 stdout "^Summary: PASS with 296 check\\(s\\) waived, not a full pass: 60 pair\\(s\\): 0 failed, 60 passed" \
    -- "$p2pscope" qualify --sysfs-root "$sm"
# The same machine with one link at x8.
check 1 stdout "^  FAIL    links            degraded link: 0000:1b:00.0 <-> 0000:19:08.0 at 8 GT/s x8, both ends capable of 8 GT/s x16$" \
    -- "$p2pscope" qualify --sysfs-root "$deg" --no-map --no-transfers
check 1 stdout "^FAIL    0000:1a:00.0 0000:1b:00.0 nic-accel " -- "$p2pscope" qualify --sysfs-root "$deg"

# JSON (docs/qualify.md).
jqcheck laptop_json '.schema == "p2pscope.qualify/1" and .result == "fail"
    and .summary == {"pairs": 3, "pairs_failed": 3, "pairs_passed": 0, "pairs_waived": 0,
                     "checks_passed": 1, "checks_failed": 3, "checks_waived": 20}
    and ([.pairs[].classes] == ["gpu-nic", "gpu-nvme", "nic-nvme"])
    and all(.pairs[]; .checks[0].check == "p2pdma" and .checks[0].result == "fail"
                      and (.checks[0].reason | test("8086:4621\\] is not on the kernel")))' \
    -- "$p2pscope" qualify --sysfs-root "$laptop" --format json
jqcheck supermicro_pair_json '.result == "pass_with_waivers" and .thresholds.file == null
    and .thresholds.transfer.min_fraction_of_ceiling == 0.8 and .thresholds.map.p99_ns_max == 10000
    and (.pairs | length) == 1 and .pairs[0].a == "0000:1a:00.0" and .pairs[0].b == "0000:3d:00.0"
    and .pairs[0].path == "NODE" and .pairs[0].p2pdma_verdict == "THRU_HOST_BRIDGE"
    and [.pairs[0].checks[] | [.check, .result]] == [["p2pdma","pass"],["links","pass"],["iommu","pass"],
        ["mps_mrrs","waived"],["map","waived"],["transfer","waived"],["aer","waived"]]
    and (.pairs[0].checks[4].reason | startswith("measurements need this machine"))
    and .thresholds.numa.gpu_nic_worst_path == "NODE" and .thresholds.mps_mrrs.mrrs_min_bytes == 512
    and all(.pairs[0].checks[]; .remedy == null)' \
    -- "$p2pscope" qualify --sysfs-root "$sm" --devices 1a:00.0,3d:00.0 --format json
jqcheck degraded_json '.result == "fail" and ([.pairs[] | select(.result == "fail") | [.a, .b]] | length) > 0
    and all(.pairs[] | select(.result == "fail"); (.a == "0000:1b:00.0" or .b == "0000:1b:00.0"))
    and all(.pairs[].checks[] | select(.check == "links" and .result == "fail"); .reason | contains("0000:1b:00.0 <-> 0000:19:08.0"))' \
    -- "$p2pscope" qualify --sysfs-root "$deg" --format json --no-map
echo "$fails failure(s)"
[ "$fails" = 0 ]
