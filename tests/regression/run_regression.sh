#!/usr/bin/env bash
# The convergence regression check on a small, fast, deterministic set of quick-profile runs
# (RQB's fixed-rate runs: deep linear MLPs, depth 2 and 8, orthogonal and Gaussian, lr 0.125).
#
# usage: run_regression.sh BENCH_RQB_BINARY MODE
#   check    run the set and compare it with tests/regression/baseline.json (exit 1 on regression)
#   slowed   run the set with every learning rate halved (ISOBENCH_LR_SCALE=0.5): the check must
#            report a regression — exits 0 when it does, 1 when the slowdown went unnoticed
#   refresh  run the set and write it as the new baseline (commit the file afterwards)
set -euo pipefail
bin="$1"
mode="${2:-check}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PY=/usr/bin/python3
. "$here/../pin_data.sh"
pin_test_data mnist
filter='^RQB/.*/lr:0\.125/'
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export ISOBENCH_OUT="$out"

run_set() {
  "$bin" --isobench_filter="$filter" --benchmark_out="$out/part.json" \
         --benchmark_out_format=json >"$out/console.txt" 2>&1 \
    || { cat "$out/console.txt"; echo "regression: the benchmark run failed"; exit 1; }
  "$PY" "$root/reports/merge_results.py" --out "$out/results.json" \
        --datasets "$out/datasets.jsonl" "$out/part.json"
}

case "$mode" in
  check)
    run_set
    "$PY" "$root/reports/regress.py" "$out/results.json" --baseline "$here/baseline.json" ;;
  slowed)
    ISOBENCH_LR_SCALE=0.5 run_set
    set +e
    "$PY" "$root/reports/regress.py" "$out/results.json" --baseline "$here/baseline.json"
    rc=$?
    set -e
    if [ $rc -eq 1 ]; then
      echo "regression: the halved learning rate was caught (as it must be)"
      exit 0
    fi
    echo "regression: a halved learning rate was NOT caught (regress exit $rc)"
    exit 1 ;;
  refresh)
    run_set
    "$PY" - "$out/results.json" "$here/baseline.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
keep = ("name", "steps_to_target", "step_budget", "converged", "diverged", "final_loss", "lr_best")
d["benchmarks"] = [{k: b[k] for k in keep if k in b} for b in d["benchmarks"]]
ctx = d["context"]
d["context"] = {k: ctx[k] for k in ("isobench_version", "profile", "datasets", "blas_threads", "date", "host_name") if k in ctx}
json.dump(d, open(sys.argv[2], "w"), indent=1)
print(f"baseline written: {sys.argv[2]} ({len(d['benchmarks'])} runs)")
PYEOF
    ;;
  *) echo "usage: $0 BENCH_RQB_BINARY check|slowed|refresh" >&2; exit 2 ;;
esac
