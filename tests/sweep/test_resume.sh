#!/usr/bin/env bash
# `./isobench bench --resume` after a kill: nothing finished is lost or run again, and the final
# results.json equals an uninterrupted run's (names, order, every non-timing counter).
#
# usage: test_resume.sh BENCH_DIR   (the directory holding the bench_* binaries)
# The selection is RQB's fixed-rate runs (4 deterministic runs of about a second each). The sweep
# is started in its own process group and SIGKILLed — driver and binary, as a Slurm time limit
# does — once the first run is in the run log; resuming must run only the rest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/setup.sh"
filter='^RQB/.*/lr:0\.125/'

runs_in() { if [ -f "$1" ]; then grep -c '"run_name"' "$1" || true; else echo 0; fi; }

echo "== uninterrupted run"
ISOBENCH_OUT="$tmp/clean" ./isobench bench --filter "$filter" --no-report >"$tmp/clean.log" 2>&1 \
  || { cat "$tmp/clean.log"; fail "the uninterrupted run failed"; }
total="$(grep -c . "$tmp/clean/selection/bench_rqb.txt")"
[ "$total" -ge 3 ] || fail "expected at least 3 runs in the selection, got $total"

echo "== interrupted run (SIGKILL after the first finished run)"
done_n=0
for attempt in 1 2 3; do
  rm -rf "$tmp/int"
  ISOBENCH_OUT="$tmp/int" setsid ./isobench bench --filter "$filter" --no-report \
    >"$tmp/int.log" 2>&1 &
  pid=$!
  pgid="$(ps -o pgid= -p "$pid" | tr -d ' ')"
  [ "$pgid" = "$pid" ] || fail "setsid did not make a process group (pgid '$pgid', pid $pid)"
  for _ in $(seq 1 1200); do
    [ "$(runs_in "$tmp/int/runs/bench_rqb.jsonl")" -ge 1 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pgid=""
  done_n="$(runs_in "$tmp/int/runs/bench_rqb.jsonl")"
  echo "attempt $attempt: $done_n of $total runs finished before the kill"
  [ "$done_n" -ge 1 ] && [ "$done_n" -lt "$total" ] && break
done
[ "$done_n" -ge 1 ] && [ "$done_n" -lt "$total" ] \
  || { cat "$tmp/int.log"; fail "could not interrupt the sweep between runs ($done_n of $total)"; }
[ ! -f "$tmp/int/results.json" ] || fail "the killed sweep wrote results.json"
finished_before="$(grep -o '"run_name": "[^"]*"' "$tmp/int/runs/bench_rqb.jsonl" | sort)"

echo "== --list --resume lists only what is left"
left="$(ISOBENCH_OUT="$tmp/int" ./isobench bench --filter "$filter" --list --resume | grep -c . || true)"
[ "$left" -eq $((total - done_n)) ] || fail "--list --resume listed $left runs, expected $((total - done_n))"

echo "== resume"
ISOBENCH_OUT="$tmp/int" ./isobench bench --filter "$filter" --resume >"$tmp/resume.log" 2>&1 \
  || { cat "$tmp/resume.log"; fail "the resumed run failed"; }
grep -q "bench_rqb: $((total - done_n)) runs (of $total" "$tmp/resume.log" \
  || { cat "$tmp/resume.log"; fail "resume did not run exactly the $((total - done_n)) unfinished runs"; }
# Every run recorded exactly once: the finished ones were not run again.
recorded="$(runs_in "$tmp/int/runs/bench_rqb.jsonl")"
[ "$recorded" -eq "$total" ] || fail "the run log holds $recorded run records, expected $total"
after="$(grep -o '"run_name": "[^"]*"' "$tmp/int/runs/bench_rqb.jsonl" | head -n "$done_n" | sort)"
[ "$after" = "$finished_before" ] || fail "the runs finished before the kill were rewritten"
"$PY" "$root/reports/compare_results.py" --same-order "$tmp/clean/results.json" "$tmp/int/results.json" \
  || fail "the resumed results differ from the uninterrupted run's"
"$PY" - "$tmp/int/results.json" <<'EOF' || fail "results.json context"
import json, sys
c = json.load(open(sys.argv[1]))["context"]
assert c["runs_missing"] == [] and c["runs_expected"] >= 3, c
EOF
for n in $(sed 's#[^A-Za-z0-9._-]#_#g' "$tmp/clean/selection/bench_rqb.txt"); do
  [ -s "$tmp/int/traces/$n.jsonl" ] || fail "no trace for $n after resuming"
  [ "$(wc -l <"$tmp/clean/traces/$n.jsonl")" -eq "$(wc -l <"$tmp/int/traces/$n.jsonl")" ] \
    || fail "trace $n: $(wc -l <"$tmp/int/traces/$n.jsonl") lines after resuming, $(wc -l <"$tmp/clean/traces/$n.jsonl") uninterrupted"
done
[ -s "$tmp/int/report.md" ] || fail "the resumed run wrote no report"

echo "== without --resume the output directory starts afresh"
ISOBENCH_OUT="$tmp/int" ./isobench bench --filter "$filter" --shard 0/2 --no-report >"$tmp/fresh.log" 2>&1 \
  || { cat "$tmp/fresh.log"; fail "the fresh run failed"; }
n0="$(./isobench bench --filter "$filter" --shard 0/2 --list | grep -c . || true)"
[ "$(runs_in "$tmp/int/runs/bench_rqb.jsonl")" -eq "$n0" ] || fail "a fresh run kept old records"
[ "$(ls "$tmp/int/traces" 2>/dev/null | wc -l)" -eq "$n0" ] || fail "a fresh run kept old traces"
echo "PASS: resumed after a kill at $done_n of $total runs; results equal the uninterrupted run's"
