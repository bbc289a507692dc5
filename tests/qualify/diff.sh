#!/usr/bin/env bash
# diff.sh P2PSCOPE FIXTURES EXPECT
# p2pscope diff against a golden server: the Supermicro SYS-4029GP-TRT2 of the
# fixtures as the golden one; candidates made from it as real servers of one
# model differ: the same tree enumerated with other bus numbers (no
# difference), a link trained at x8, a card missing, ACS redirect switched on
# at a switch port; qualify --baseline with the same comparison; and input
# that is no topo report.
set -u
p2pscope=$1 fx=$2 expect=$3
source "$(dirname "$0")/lib.sh"
sm=32intel64-2p8co2t+8ve
tar -xjf "$fx/hwloc-sysfs/$sm.tar.bz2" -C "$dir" || exit 1
cp -a "$dir/$sm" "$dir/narrow" && echo 8 >"$dir/narrow/sys/bus/pci/devices/0000:1b:00.0/current_link_width"
cp -a "$dir/$sm" "$dir/missing" && rm "$dir/missing/sys/bus/pci/devices/0000:3f:00.0"
"$p2pscope" topo --sysfs-root "$dir/$sm" --class all --format json >"$dir/golden.json" || exit 1
"$p2pscope" topo --sysfs-root "$dir/narrow" --class all --format json >"$dir/narrow.json" || exit 1
"$p2pscope" topo --sysfs-root "$dir/missing" --class all --format json >"$dir/missing.json" || exit 1
# The same machine with every bus number one higher: another server of the model, enumerated differently.
python3 - "$dir/golden.json" "$dir/renumbered.json" <<'PY' || exit 1
import json, re, sys
bus = re.compile(r"^([0-9a-f]{4}):([0-9a-f]{2})")
def up(v):
    if isinstance(v, dict): return {k: up(x) for k, x in v.items()}
    if isinstance(v, list): return [up(x) for x in v]
    if isinstance(v, str): return bus.sub(lambda m: "%s:%02x" % (m.group(1), int(m.group(2), 16) + 1), v)
    return v
json.dump(up(json.load(open(sys.argv[1]))), open(sys.argv[2], "w"))
PY
# ACS at the PEX 9797 upstream port above four Vector Engines and a ConnectX-4 (the tree's 64 bytes of
# config space hold none: as a root's reading would give it), off on the golden server, redirecting on the other.
acs() { jq --arg c "$1" --arg bits "$2" '(.devices[] | select(.bdf == "0000:18:00.0")) |= (.acs = {"capability": "005f",
        "control": $c, "control_bits": $bits, "redirect": ($bits != "")})' "$dir/golden.json"; }
acs 0000 "" >"$dir/acs-off.json"
acs 000c "ReqRedir CmpltRedir" >"$dir/acs-on.json"

check 0 stdout "^29 devices and 66 pairs matched by their place in the tree; 0 differences$" -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/golden.json"
check 0 stdout "^29 devices and 66 pairs matched by their place in the tree; 0 differences$" -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/renumbered.json"
check 1 stdout "^      candidate: 8 GT/s x8 at 0000:1b:00.0$" -- "$p2pscope" diff "$dir/golden.json" "$dir/narrow.json"
check 1 stderr "^p2pscope diff: 1 difference\\(s\\) from the golden server$" -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/narrow.json"
jqcheck missing_card '.schema == "p2pscope.diff/1" and ([.differences[] | select(.kind == "missing")] | length) == 1
    and ([.differences[] | select(.kind == "missing")][0].golden | test("1bcf:001c .* at 0000:3f:00.0$"))' -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/missing.json" --format json
jqcheck extra_card '([.differences[] | select(.kind == "extra")] | length) == 1' -- \
    "$p2pscope" diff "$dir/missing.json" "$dir/golden.json" --format json
jqcheck renumbered_bdfs_named '.differences == [] and .matched_devices == 29' -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/renumbered.json" --format json
jqcheck acs_setting '[.differences[] | select(.kind == "acs")] | length == 1 and .[0].candidate == "ReqRedir CmpltRedir at 0000:18:00.0"' -- \
    "$p2pscope" diff "$dir/acs-off.json" "$dir/acs-on.json" --format json
check 1 stdout "^\\| link \\| \`hb0/00.0/00.0/08.0/00.0\` \\| 8 GT/s x16 at 0000:1b:00.0 \\| 8 GT/s x8 at 0000:1b:00.0 \\|$" -- \
    "$p2pscope" diff "$dir/golden.json" "$dir/narrow.json" --format markdown
check 2 stderr "^p2pscope diff: .*/dev/null: a character device" -- "$p2pscope" diff "$dir/golden.json" /dev/null
echo '{"schema": "p2pscope.qualify/1"}' >"$dir/qualify.json"
check 2 stderr "^p2pscope diff: .*qualify.json: not a p2pscope topo or qualify report" -- "$p2pscope" diff "$dir/golden.json" "$dir/qualify.json"
check 2 stderr "required" -- "$p2pscope" diff "$dir/golden.json"
# qualify --baseline: the same comparison in the qualification report; a difference alone fails the run.
check 1 stderr "^p2pscope qualify: 0 check\\(s\\) failed on 0 of 1 pair\\(s\\); 1 difference\\(s\\) from the baseline .*golden.json$" -- \
    "$p2pscope" qualify --sysfs-root "$dir/narrow" --devices 3d:00.0,3e:00.0 --baseline "$dir/golden.json"
check 0 stdout "^Baseline .*golden.json: 0 difference\\(s\\) over 29 devices and 66 pairs matched by their place in the tree$" -- \
    "$p2pscope" qualify --sysfs-root "$dir/$sm" --devices 3d:00.0,3e:00.0 --baseline "$dir/golden.json"
jqcheck qualify_baseline_json '.result == "fail" and .baseline.matched_devices == 29
    and .baseline.differences == [{"kind": "link", "place": "hb0/00.0/00.0/08.0/00.0", "golden": "8 GT/s x16 at 0000:1b:00.0",
                                    "candidate": "8 GT/s x8 at 0000:1b:00.0"}]' -- \
    "$p2pscope" qualify --sysfs-root "$dir/narrow" --devices 3d:00.0,3e:00.0 --baseline "$dir/golden.json" --format json
jqcheck qualify_without_baseline '.baseline == null' -- "$p2pscope" qualify --sysfs-root "$dir/$sm" --format json
check 2 stderr "^p2pscope qualify: .*qualify.json: not a p2pscope topo or qualify report" -- \
    "$p2pscope" qualify --sysfs-root "$dir/$sm" --baseline "$dir/qualify.json"
# Two qualify reports: their topologies, and each pair's check results and measurements.
"$p2pscope" qualify --sysfs-root "$dir/$sm" --format json >"$dir/golden-q.json"
"$p2pscope" qualify --sysfs-root "$dir/narrow" --format json >"$dir/narrow-q.json"
jqcheck qualify_reports '.matched_devices == 29
    and ([.differences[] | select(.kind == "link")] | length) == 1
    and ([.differences[] | select(.kind == "check")] | length) == 11
    and all(.differences[] | select(.kind == "check"); (.golden | startswith("links pass"))
            and (.candidate | startswith("links fail")) and (.candidate | contains("0000:1b:00.0")))' -- \
    "$p2pscope" diff "$dir/golden-q.json" "$dir/narrow-q.json" --format json
jqcheck qualify_same '.differences == [] and .matched_pairs == 66' -- \
    "$p2pscope" diff "$dir/golden-q.json" "$dir/golden-q.json" --format json
jqcheck qualify_against_topo '.differences == []' -- "$p2pscope" diff "$dir/golden.json" "$dir/golden-q.json" --format json
# Measurements (this machine has no devices to measure: the first pair's map p99 written in), 25 % apart by default.
measured() { jq --argjson v "$1" '.pairs[0].checks |= map(if .check == "map" then .measured = $v | .unit = "ns" | .result = "pass" else . end)' \
    "$dir/golden-q.json"; }
measured 1000 >"$dir/m1000.json"; measured 1100 >"$dir/m1100.json"; measured 2000 >"$dir/m2000.json"
jqcheck map_slower '[.differences[] | select(.kind == "map")] | length == 1 and (.[0].candidate | startswith("2000 ns (+100%)"))' -- \
    "$p2pscope" diff "$dir/m1000.json" "$dir/m2000.json" --format json
jqcheck map_within_tolerance '.differences == []' -- "$p2pscope" diff "$dir/m1000.json" "$dir/m1100.json" --format json
jqcheck map_tolerance_option '[.differences[] | select(.kind == "map")] | length == 1' -- \
    "$p2pscope" diff "$dir/m1000.json" "$dir/m1100.json" --format json --tolerance 0.05
check 2 stderr "^p2pscope: --tolerance: Value -1 not in range" -- "$p2pscope" diff "$dir/m1000.json" "$dir/m1100.json" --tolerance -1
jq 'del(.topology)' "$dir/golden-q.json" >"$dir/old-q.json"
check 2 stderr "^p2pscope diff: .*old-q.json: a qualify report without its server's topology" -- \
    "$p2pscope" diff "$dir/old-q.json" "$dir/golden-q.json"
# A qualify report as the baseline: its topology is the golden one.
check 0 stdout "^Baseline .*golden-q.json: 0 difference\\(s\\) over 29 devices" -- \
    "$p2pscope" qualify --sysfs-root "$dir/$sm" --devices 3d:00.0,3e:00.0 --baseline "$dir/golden-q.json"
echo "$fails failure(s)"
[ "$fails" = 0 ]
