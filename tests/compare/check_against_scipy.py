#!/usr/bin/python3
"""p2pscope compare against SciPy's Mann-Whitney U test and the verdict rules.

Writes pairs of Google Benchmark JSON reports with random repetitions (sizes
2..12, with and without ties, shifted and not), runs `p2pscope compare
--format json` on them and checks every p-value against
scipy.stats.mannwhitneyu(alternative="two-sided"), every change against the
means, and the exit status against the verdicts. Needs Debian's python3-scipy.
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

from scipy.stats import mannwhitneyu

p2pscope = sys.argv[1]
rng = random.Random(20261121)


def report(path, series, unit="ns"):
    benchmarks = []
    for name, values in series.items():
        for i, v in enumerate(values):
            benchmarks.append({"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(values),
                               "repetition_index": i, "threads": 1, "iterations": 1000, "real_time": v,
                               "cpu_time": v, "time_unit": unit})
        benchmarks.append({"name": name + "_mean", "run_name": name, "run_type": "aggregate",
                           "aggregate_name": "mean", "real_time": 0, "cpu_time": 0, "time_unit": unit})
    with open(path, "w") as f:
        json.dump({"context": {"date": "2026-11-21"}, "benchmarks": benchmarks}, f)


checked = 0
with tempfile.TemporaryDirectory() as tmp:
    for case in range(60):
        old, new = {}, {}
        for b in range(5):
            n1, n2 = rng.randint(2, 12), rng.randint(2, 12)
            ties = rng.random() < 0.4
            shift = rng.choice([0.0, 0.02, 0.3, -0.3])
            draw = (lambda: float(rng.randint(95, 105))) if ties else (lambda: rng.gauss(100.0, 3.0))
            old[f"bm{b}"] = [draw() for _ in range(n1)]
            new[f"bm{b}"] = [draw() * (1 + shift) for _ in range(n2)]
        po, pn = os.path.join(tmp, "old.json"), os.path.join(tmp, "new.json")
        report(po, old)
        report(pn, new, unit="ns")
        run = subprocess.run([p2pscope, "compare", po, pn, "--format", "json", "--threshold", "0.05",
                              "--alpha", "0.05"], capture_output=True, text=True)
        assert run.returncode in (0, 1), (run.returncode, run.stderr)
        doc = json.loads(run.stdout)
        regressions = 0
        for row in doc["benchmarks"]:
            o, n = old[row["name"]], new[row["name"]]
            expected_p = mannwhitneyu(n, o, alternative="two-sided").pvalue
            assert abs(row["p_value"] - expected_p) < 1e-9 + 1e-6 * expected_p, (row, expected_p, o, n)
            mo, mn = sum(o) / len(o), sum(n) / len(n)
            assert abs(row["change"] - (mn - mo) / mo) < 1e-9, row
            # Where even the most extreme ordering cannot reach p < 0.05 (2 / C(n1 + n2, n1), the
            # exact test's least p, as SciPy's exact method gives it), the threshold alone judges.
            testable = 2 / math.comb(len(o) + len(n), len(o)) < 0.05
            significant = not testable or expected_p < 0.05
            want = "unchanged"
            if significant and row["change"] > 0.05:
                want = "regressed" if testable else "regressed (untested)"
            elif significant and row["change"] < -0.05:
                want = "improved"
            assert row["verdict"] == want, (row, want)
            regressions += want.startswith("regressed")
            checked += 1
        assert doc["regressions"] == regressions
        assert run.returncode == (1 if regressions else 0), (run.returncode, regressions)
print(f"ok: {checked} benchmark comparisons match SciPy's Mann-Whitney U test and the verdict rules")
