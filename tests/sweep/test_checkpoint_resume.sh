#!/usr/bin/env bash
# Checkpoints through the driver (benchmarks/common/checkpoints.hpp): a sweep killed (SIGKILL)
# in the middle of a training run that has saved checkpoints, then `./isobench bench --resume`:
# the run continues from its last checkpoint (it says so) instead of restarting, and results.json
# and the trace equal an uninterrupted sweep's bit for bit (reports/compare_results.py: timings
# aside); the finished run's checkpoint is removed, and a fresh sweep removes stale ones.
#
# usage: test_checkpoint_resume.sh BENCH_DIR   (the quick-profile bench_* binaries)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/setup.sh"
# TASK's copy task, 3,000 steps of about 1 ms: a checkpoint every 0.3 s gives several.
filter='^TASK/rnn/task:copy/act:tanh/init:orthogonal/hidden:64/batch:32/constraint:none/opt:adam/lr:0\.003/seed:1$'
export ISOBENCH_CHECKPOINT_SECONDS=0.3

echo "== uninterrupted"
ISOBENCH_OUT="$tmp/whole" ./isobench bench --filter "$filter" --no-report --jobs 1 \
  >"$tmp/whole.log" 2>&1 || { cat "$tmp/whole.log"; fail "the uninterrupted sweep failed"; }
[ -z "$(ls -A "$tmp/whole/checkpoints" 2>/dev/null)" ] || fail "a finished run left its checkpoint"

echo "== killed after a checkpoint, then --resume"
ckpt_dir="$tmp/cut/checkpoints"
set -m
ISOBENCH_OUT="$tmp/cut" ./isobench bench --filter "$filter" --no-report --jobs 1 \
  >"$tmp/cut.log" 2>&1 &
pgid=$!
set +m
for _ in $(seq 1 600); do  # up to 60 s for the second checkpoint
  n="$(ls "$ckpt_dir" 2>/dev/null | grep -c '\.state$' || true)"
  [ "$n" -ge 1 ] && [ -n "$(find "$ckpt_dir" -name '*.state' -newermt '-0.1 seconds' 2>/dev/null)" ] && break
  sleep 0.1
done
sleep 0.5  # a later checkpoint: the run is well into its steps
kill -KILL -- "-$pgid" 2>/dev/null || true
wait "$pgid" 2>/dev/null || true
pgid=""
ls "$ckpt_dir"/*.state >/dev/null 2>&1 || { cat "$tmp/cut.log"; fail "no checkpoint was saved before the kill"; }
if grep -q '"name"' "$tmp/cut/runs/bench_task.jsonl" 2>/dev/null; then
  fail "the run finished before it was killed (make it longer)"
fi
ISOBENCH_OUT="$tmp/cut" ./isobench bench --filter "$filter" --no-report --jobs 1 --resume \
  >"$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "the resumed sweep failed"; }
grep -q "resuming from its checkpoint" "$tmp/resume.log" \
  || { cat "$tmp/resume.log"; fail "the run restarted instead of resuming from its checkpoint"; }
$PY reports/compare_results.py "$tmp/whole" "$tmp/cut" \
  || fail "the resumed run differs from the uninterrupted one (above)"
[ -z "$(ls -A "$ckpt_dir" 2>/dev/null)" ] || fail "the resumed run's checkpoint was not removed"

echo "== a fresh sweep removes a stale checkpoint"
mkdir -p "$ckpt_dir" && echo stale >"$ckpt_dir/old.state"
ISOBENCH_OUT="$tmp/cut" ./isobench bench --filter "$filter" --no-report --jobs 1 \
  >"$tmp/fresh.log" 2>&1 || { cat "$tmp/fresh.log"; fail "the fresh sweep failed"; }
[ ! -e "$ckpt_dir/old.state" ] || fail "a fresh sweep kept an earlier sweep's checkpoint"

echo "== a corrupt checkpoint fails its run, naming the file"
ISOBENCH_OUT="$tmp/bad" ./isobench bench --filter "$filter" --no-report --jobs 1 \
  >"$tmp/bad0.log" 2>&1 || true
mkdir -p "$tmp/bad/checkpoints"
name="$(ls "$tmp/bad/traces" | sed 's/\.jsonl$//')"
echo "not a checkpoint" >"$tmp/bad/checkpoints/$name.state"
: >"$tmp/bad/runs/bench_task.jsonl"  # the run is unfinished again
if ISOBENCH_OUT="$tmp/bad" ./isobench bench --filter "$filter" --no-report --jobs 1 --resume \
  >"$tmp/bad.log" 2>&1; then
  fail "a run resumed from a corrupt checkpoint"
fi
grep -q "not an isobench checkpoint" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "no reason given"; }
grep -q "$name.state" "$tmp/bad.log" || fail "the corrupt checkpoint's file is not named"
echo "PASS"
