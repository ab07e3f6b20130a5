#!/usr/bin/env bash
# The real thing: a single-node Slurm cluster on this machine (scripts/slurm/local_cluster.sh:
# munged + slurmctld + slurmd on localhost), the job-array script
# (scripts/slurm/isobench_array.sbatch) submitted for a small quick-profile selection in K = 3
# shards, one shard's task cancelled mid-run and requeued (it must resume, not start over), the
# shards merged by `./isobench report` and compared with an unsharded run: same runs, same
# counters. Every daemon it started is stopped on exit.
#
# usage: test_slurm.sh BENCH_DIR   (the directory holding the bench_* binaries)
# Exit 77 (ctest: skipped) with the reason when not wanted here (only under CI=true or with
# ISOBENCH_TEST_SLURM=1) or when Slurm cannot be started here: not root, Slurm or MUNGE not
# installed (apt-get install slurm-wlm munge), or the daemons do not come up.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ISOBENCH_BENCH_DIR="$1"
export PATH="$PATH:/usr/sbin:/sbin"
PY=/usr/bin/python3
filter='^RQB/.*/lr:0\.125/'
K=3
skip() { echo "isobench: SKIPPED: slurm test: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "${CI:-}" = true ] || [ "${ISOBENCH_TEST_SLURM:-}" = 1 ] \
  || skip "runs only under CI (CI=true) or when asked for: ISOBENCH_TEST_SLURM=1 ./isobench test (installs Slurm and MUNGE, leaves no service enabled)"
[ "$(id -u)" -eq 0 ] || skip "needs root to start slurmd and munged (running as $(id -un))"
for t in munged slurmctld slurmd sbatch; do
  command -v "$t" >/dev/null 2>&1 || skip "'$t' not found: Slurm/MUNGE not installed (apt-get install slurm-wlm munge)"
done

tmp="$(mktemp -d)"
cleanup() {
  # Cancels what is left of the jobs, then stops the daemons (only those this test started).
  "$root/scripts/slurm/local_cluster.sh" stop "$tmp/cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$root"

t0=$SECONDS
rc=0
"$root/scripts/slurm/local_cluster.sh" start "$tmp/cluster" >"$tmp/start.log" 2>&1 || rc=$?
if [ $rc -eq 3 ]; then
  skip "$(grep 'cannot start' "$tmp/start.log" | tail -1)"
elif [ $rc -ne 0 ]; then
  cat "$tmp/start.log"; fail "local_cluster.sh start exited $rc"
fi
export SLURM_CONF="$tmp/cluster/slurm.conf"
echo "== cluster up in $((SECONDS - t0)) s: $(sinfo -h -o '%P %a %D %T %c cpus')"

echo "== unsharded reference run"
ISOBENCH_OUT="$tmp/whole" ./isobench bench --filter "$filter" --no-report >"$tmp/whole.log" 2>&1 \
  || { cat "$tmp/whole.log"; fail "the unsharded run failed"; }

# A Slurm job's state, e.g. PENDING, RUNNING, COMPLETED.
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
wait_for() {  # wait_for SECONDS JOBID STATE_REGEX
  local deadline=$((SECONDS + $1)) s=""
  while [ $SECONDS -lt $deadline ]; do
    s="$(job_state "$2")"
    [[ "$s" =~ ^($3)$ ]] && return 0
    sleep 0.2
  done
  echo "job $2 is '$s' after $1 s (waited for $3)"
  return 1
}

echo "== submit the array: $K shards"
mkdir -p "$tmp/sweep"
# The largest shard (R) starts alone first, to be requeued (killed) after its first run.
R=0 most=0
for i in $(seq 0 $((K - 1))); do
  n="$(./isobench bench --filter "$filter" --shard "$i/$K" --list | grep -c . || true)"
  if [ "$n" -gt "$most" ]; then R=$i; most=$n; fi
done
[ "$most" -ge 1 ] || fail "the selection '$filter' is empty"
jid="$(sbatch --parsable --array=0-$((K - 1)) --hold --mem=256M --time=10 \
        --output="$tmp/sweep/slurm-%A_%a.out" --chdir="$root" \
        scripts/slurm/isobench_array.sbatch "$tmp/sweep" --filter "$filter")" \
  || fail "sbatch refused the array script"
jid="${jid%%;*}"
scontrol release "${jid}_$R"
log1="$tmp/sweep/shard-$R/runs/bench_rqb.jsonl"
deadline=$((SECONDS + 120))
until [ -f "$log1" ] && [ "$(grep -c '"run_name"' "$log1")" -ge 1 ]; do
  [ $SECONDS -lt $deadline ] || { cat "$tmp"/sweep/slurm-*_"$R".out 2>/dev/null; fail "shard $R logged no run in 120 s"; }
  sleep 0.1
done
first="$(grep -c '"run_name"' "$log1")"
echo "== shard $R: $first run(s) finished; requeue the task (killed mid-sweep, as on preemption)"
# (A task that already ended, on a fast machine, may refuse; it is then checked as it is.)
scontrol requeue "${jid}_$R" || echo "requeue refused (task $R is $(job_state "${jid}_$R"))"
scontrol release "$jid"
for i in $(seq 0 $((K - 1))); do
  [ "$i" -eq "$R" ] && continue
  wait_for 180 "${jid}_$i" "COMPLETED|FAILED|CANCELLED|TIMEOUT" || fail "shard $i did not finish"
done
# Slurm delays a requeued job's start (BeginTime about two minutes ahead): bring it forward.
for _ in $(seq 1 100); do
  s="$(job_state "${jid}_$R")"
  case "$s" in RUNNING|COMPLETED|FAILED|CANCELLED|TIMEOUT) break ;; esac
  [ "$s" = PENDING ] && scontrol update JobId="${jid}_$R" StartTime=now 2>/dev/null || true
  sleep 0.3
done
wait_for 180 "${jid}_$R" "COMPLETED|FAILED|CANCELLED|TIMEOUT" || fail "shard $R did not finish after the requeue"
for i in $(seq 0 $((K - 1))); do
  s="$(job_state "${jid}_$i")"
  [ "$s" = COMPLETED ] || { cat "$tmp"/sweep/slurm-*_"$i".out; fail "array task $i ended $s"; }
done
echo "== array done in $((SECONDS - t0)) s"
runs1="$(grep -c '"run_name"' "$log1")"
total1="$(grep -c . "$tmp/sweep/shard-$R/selection/bench_rqb.txt")"
[ "$runs1" -eq "$total1" ] \
  || fail "shard $R's log holds $runs1 run records for $total1 runs: the requeued task did not resume cleanly"
if [ "$first" -lt "$total1" ]; then
  # Resumed: it ran the rest, or (when the kill came after its last run) found them all done.
  grep -Eq "resuming the sweep in .*/shard-$R" "$tmp"/sweep/slurm-*_"$R".out \
    && grep -Eq "the rest finished earlier|all $total1 runs already finished" \
         "$tmp"/sweep/slurm-*_"$R".out \
    || { cat "$tmp"/sweep/slurm-*_"$R".out; fail "the requeued shard $R did not resume"; }
  echo "shard $R was requeued after $first of $total1 runs and resumed"
else
  echo "shard $R finished all $total1 runs before the requeue took effect (nothing to resume)"
fi

echo "== merge the shards"
ISOBENCH_OUT="$tmp/merged" ./isobench report "$tmp"/sweep/shard-* >"$tmp/merge.log" 2>&1 \
  || { cat "$tmp/merge.log"; fail "merging the shards failed"; }
"$PY" - "$tmp/merged/results.json" "$K" <<'EOF' || fail "merged context"
import json, sys
c = json.load(open(sys.argv[1]))["context"]
k = int(sys.argv[2])
shards = sorted(m["shard"] for m in c["merged_from"])
assert shards == [f"{i}/{k}" for i in range(k)], shards
assert c["merge_problems"] == [], c["merge_problems"]
EOF
"$PY" "$root/reports/compare_results.py" --same-order "$tmp/whole/results.json" "$tmp/merged/results.json" \
  || fail "the merged Slurm shards differ from the unsharded run"
echo "PASS: Slurm array of $K shards (one requeued mid-run) merged equal to the unsharded run ($((SECONDS - t0)) s)"
