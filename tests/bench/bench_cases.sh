#!/usr/bin/env bash
# bench_cases.sh P2PSCOPE_BENCH P2PSCOPE FIXTURES: p2pscope-bench on a regular
# file (the cpu engine's memory "file"), its Google Benchmark JSON checked with
# jq: the registered benchmarks, real time from the engine's own measured time,
# the counters, the context (PAPI says no counters where it has none); the same
# report compared with itself shows no regression; the topology hash is stable.
set -u
bench=$1 p2pscope=$2 fixtures=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failed=0
ok() { echo "ok: $*"; }
notok() { echo "FAIL: $*"; failed=1; }
check() {  # check DESCRIPTION JQ-FILTER
  if jq -e "$2" "$dir/run.json" >/dev/null; then ok "$1"; else notok "$1 ($2)"; fi
}
head -c 65536 /dev/zero >"$dir/data"

"$bench" --file "$dir/data" --widths 8,memcpy --directions read,write --sizes 4K,64K --transfers 50 \
  --benchmark_min_time=0.02 --benchmark_repetitions=3 \
  --benchmark_out_format=json --benchmark_out="$dir/run.json" >"$dir/console.out" 2>"$dir/console.err"
rc=$?
[ $rc = 0 ] && ok "run on a file: exit 0" || { notok "run on a file: exit $rc"; cat "$dir/console.err"; }
[ -s "$dir/run.json" ] || { notok "no JSON report"; exit 1; }

it='[.benchmarks[] | select(.run_type == "iteration" and (.run_name | startswith("xfer/cpu/")))]'
check "8 benchmarks x 3 repetitions" "$it | length == 24"
for d in read write; do for w in 8 memcpy; do for s in 4096 65536; do
  check "registered xfer/cpu/file/$d/$w/$s" "$it | map(.run_name) | index(\"xfer/cpu/file/$d/$w/$s/manual_time\") != null"
done; done; done
check "aggregates from the repetitions" '[.benchmarks[] | select(.aggregate_name == "mean" and (.run_name | startswith("xfer/cpu/")))] | length == 8'
# Manual time: real_time (us) per iteration is the engine's measured time, so
# bytes moved per iteration / real_time gives back bytes_per_second.
check "real_time is the engine's measured time" \
  "$it | all(.time_unit == \"us\" and .real_time > 0 and
     ((.transfers * (.run_name | split(\"/\")[5] | tonumber) / (.real_time * 1e-6)) / .bytes_per_second - 1 | fabs) < 1e-6)"
check "counters: bytes_per_second, p50_ns <= p99_ns, verified, harness_ratio >= 1" \
  "$it | all(.bytes_per_second > 0 and .p50_ns > 0 and .p99_ns >= .p50_ns and .verified == 1 and .transfers == 50 and .harness_ratio >= 1)"
check "no link_fraction without a link, and the label says why" \
  "$it | all(has(\"link_fraction\") | not) and all(.label == \"no link: a file (harness test)\")"
check "context: kernel_release is uname -r" ".context.kernel_release == \"$(uname -r)\""
check "context: cpu_model, iommu_mode, p2pscope_version" \
  '.context | (.cpu_model | length > 0) and (.iommu_mode | test("^(on|off): ")) and (.p2pscope_version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))'
check "context: topology_hash" '.context.topology_hash | test("^fnv1a64:[0-9a-f]{16}$")'
check "context: map waived (no --device)" '.context.map | startswith("waived: no --device")'
check "context: other engines waived with their reason" \
  '.context["xfer gpu"] | startswith("waived: ")'
check "context: p2pmem-odirect waived" '.context["xfer p2pmem-odirect"] | startswith("waived: ")'
if jq -e '.context.papi | startswith("no counters: ")' "$dir/run.json" >/dev/null; then
  ok "context: papi says no counters here: $(jq -r .context.papi "$dir/run.json")"
  check "no PAPI counters in the benchmarks" "$it | all(keys | map(startswith(\"PAPI_\")) | any | not)"
else
  check "context: papi counts" '.context.papi | startswith("counting PAPI_")'
  check "PAPI counters in the benchmarks" "$it | all(.PAPI_TOT_CYC > 0)"
fi
grep -Eq "^harness overhead xfer/cpu/file/read/8/4096: [0-9.]+ \(wall" "$dir/console.out" &&
  ok "harness overhead printed: $(grep -c '^harness overhead' "$dir/console.out") lines" || notok "no harness overhead lines"
sed -n 's/^harness overhead /  overhead /p' "$dir/console.out"

out=$("$p2pscope" compare "$dir/run.json" "$dir/run.json" 2>&1)
rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "0 regression" && ok "compare F F: no regression" ||
  notok "compare F F: exit $rc: $out"

# The same topology source gives the same hash; another machine a different one.
hash_of() {
  "$bench" --no-map --engines cpu --file "$dir/data" --sizes 4K --widths 8 --transfers 5 "$@" \
    --benchmark_min_time=0.001 --benchmark_format=json 2>/dev/null | jq -r .context.topology_hash
}
h1=$(hash_of --hwloc-xml "$fixtures/hwloc-xml/nvidiaDGX2.xml")
h2=$(hash_of --hwloc-xml "$fixtures/hwloc-xml/nvidiaDGX2.xml")
h3=$(hash_of --hwloc-xml "$fixtures/hwloc-xml/power8gpudistances.xml")
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" != "$h3" ] && ok "topology hash stable ($h1) and distinct ($h3)" ||
  notok "topology hashes: '$h1' '$h2' '$h3'"
[ $failed = 0 ] && echo "PASS" || echo "FAILED"
exit $failed
