#!/usr/bin/env bash
# `./isobench bench --jobs 2` gives what a serial sweep gives: the same runs in the same order in
# results.json, every deterministic counter and trace identical (reports/compare_results.py,
# timings aside), context "jobs" 2 (1 for the serial sweep); and so do a crash in a parallel
# task (only that run fails), a SIGINT mid-sweep followed by --resume, and a shard.
#
# usage: test_jobs.sh BENCH_DIR   (the directory holding the bench_* binaries)
# The selection spans five binaries, about 15 s of runs: RQA (no training), RQB's fixed-rate
# runs, two small RQE runs, four TASK adding runs and one PERF run (which must run alone, last).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/setup.sh"
filter='^(RQA/mlp/act:tanh/init:orthogonal/.*/depth:(1|4)/|RQB/.*/lr:0\.125/|RQE/.*/init:orthogonal/depth:4/width:128/reg:none/|TASK/rnn/task:adding/act:tanh/init:(glorot_uniform|orthogonal)/hidden:32/|PERF/orthogonal_init/n:128$)'
sweep() {  # sweep OUT_NAME ARGS...: a sweep of the selection into $tmp/OUT_NAME, its log beside
  local name="$1"
  shift
  ISOBENCH_OUT="$tmp/$name" ./isobench bench --filter "$filter" --no-report "$@" \
    >"$tmp/$name.log" 2>&1
}
jobs_of() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"]["jobs"])' "$1"; }
names_of() { $PY -c 'import json,sys; print("\n".join(b["name"] for b in json.load(open(sys.argv[1]))["benchmarks"]))' "$1"; }

echo "== serial (--jobs 1) and parallel (--jobs 2)"
sweep serial --jobs 1 || { cat "$tmp/serial.log"; fail "the serial sweep failed"; }
sweep par --jobs 2 || { cat "$tmp/par.log"; fail "the parallel sweep failed"; }
n="$(names_of "$tmp/serial/results.json" | grep -c .)"
[ "$n" -ge 20 ] || fail "expected at least 20 runs in the selection, got $n"
[ "$(names_of "$tmp/serial/results.json")" = "$(names_of "$tmp/par/results.json")" ] \
  || fail "results.json lists other runs or another order with --jobs 2"
$PY reports/compare_results.py "$tmp/serial" "$tmp/par" \
  || fail "--jobs 2 changed a deterministic counter or trace (above)"
[ "$(jobs_of "$tmp/serial/results.json")" = 1 ] || fail "serial context jobs is not 1"
[ "$(jobs_of "$tmp/par/results.json")" = 2 ] || fail "parallel context jobs is not 2"
grep -q "bench_perf: 1 PERF run(s) alone, after the others" "$tmp/par.log" \
  || { cat "$tmp/par.log"; fail "the PERF run did not run alone"; }
last_task="$(grep -n 'runs\] ' "$tmp/par.log" | grep -v PERF/ | tail -1 | cut -d: -f1)"
perf_start="$(grep -n 'PERF run(s) alone' "$tmp/par.log" | cut -d: -f1)"
[ "$perf_start" -gt "$last_task" ] || fail "PERF started before the other runs ended"
grep -q "peak memory of the runs in flight at once" "$tmp/par.log" || fail "no peak memory line"
grep -Eq "\[$n/$n runs\] .*ETA 0 s" "$tmp/par.log" || fail "no final progress line [$n/$n runs]"

echo "== a crash in a parallel task fails that run only"
crash='RQB/.*/init:orthogonal/.*/lr:0\.125/'
if ISOBENCH_TEST_CRASH_RUN="$crash" sweep crash --jobs 2; then fail "a crashed run did not fail the sweep"; fi
grep -q "CRASHED (signal 6, SIGABRT) during RQB/" "$tmp/crash.log" \
  || { cat "$tmp/crash.log"; fail "the crash was not reported"; }
$PY - "$tmp/crash/results.json" "$crash" "$n" <<'PYEOF' || fail "the crash's results are wrong"
import json, re, sys
d = json.load(open(sys.argv[1]))
runs = d["benchmarks"]
failed = [b["name"] for b in runs if b.get("error_occurred")]
assert len(runs) == int(sys.argv[3]), len(runs)
assert failed and all(re.search(sys.argv[2], n) for n in failed), failed
print(f"{len(failed)} crashed run(s) failed, {len(runs) - len(failed)} others finished")
PYEOF
$PY reports/compare_results.py --common "$tmp/serial" "$tmp/crash" >/dev/null \
  && fail "compare did not see the crashed runs" || true

echo "== SIGINT during a parallel sweep, then --resume --jobs 2"
runs_in() { cat "$tmp/int/runs/"*.jsonl 2>/dev/null | grep -c '"run_name"' || true; }
ISOBENCH_OUT="$tmp/int" setsid ./isobench bench --filter "$filter" --no-report --jobs 2 \
  >"$tmp/int.log" 2>&1 &
pid=$!
pgid="$(ps -o pgid= -p "$pid" | tr -d ' ')"
for _ in $(seq 1 1200); do
  [ "$(runs_in)" -ge 3 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
pgid=""
done_n="$(runs_in)"
echo "interrupted with $done_n of $n runs finished (exit $rc)"
[ "$rc" = 130 ] || { cat "$tmp/int.log"; fail "the interrupted sweep exited $rc, not 130"; }
[ "$done_n" -lt "$n" ] || fail "the sweep finished before SIGINT; nothing to resume"
grep -q "to run the rest: .*--resume" "$tmp/int.log" || fail "no resume command after SIGINT"
ISOBENCH_OUT="$tmp/int" ./isobench bench --filter "$filter" --no-report --jobs 2 --resume \
  >"$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "--resume failed"; }
$PY reports/compare_results.py "$tmp/serial" "$tmp/int" \
  || fail "the interrupted and resumed parallel sweep differs from the serial one"

echo "== --shard 1/2 --jobs 2 is the serial sweep's part"
sweep shard --jobs 2 --shard 1/2 || { cat "$tmp/shard.log"; fail "the sharded sweep failed"; }
$PY - "$tmp/serial/results.json" "$tmp/shard/results.json" <<'PYEOF' || fail "wrong shard"
import json, sys
sys.path.insert(0, "sweep")
from isobench_sweep import costs  # the default --shard-mode, balanced by the committed table
whole = [b["name"] for b in json.load(open(sys.argv[1]))["benchmarks"]]
got = [b["name"] for b in json.load(open(sys.argv[2]))["benchmarks"]]
want = costs.balanced_parts(whole, costs.load(".", "quick", costs.mnist_present(".")), 2)[1]
assert got == want, (got, want)
PYEOF
$PY reports/compare_results.py --common "$tmp/serial" "$tmp/shard" >/dev/null \
  || fail "the shard's counters differ from the serial sweep's"
echo "PASS"
