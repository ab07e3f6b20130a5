#!/usr/bin/env bash
# `./isobench bench --shard I/K`: the K parts are disjoint, cover `--list`'s selection (with and
# without --filter) and follow the split of their --shard-mode: hash, name_hash(name) % K
# (sweep/isobench_sweep/sharding.py); balanced (the default), costs.balanced_parts with the
# committed cost table; shards run apart (balanced) and merged by `./isobench report` equal an
# unsharded run (same runs, order, counters and report); the merge
# reports missing shards, shards given twice, duplicated runs and unfinished shards.
#
# usage: test_shards.sh BENCH_DIR   (the directory holding the bench_* binaries)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/setup.sh"

echo "== K = 3 parts are disjoint, cover the selection and follow their mode's split"
for mode in hash balanced; do
for filter in '' '^RQB/' 'init:orthogonal'; do
  ./isobench bench ${filter:+--filter "$filter"} --list >"$tmp/all.txt" 2>/dev/null
  for i in 0 1 2; do
    ./isobench bench ${filter:+--filter "$filter"} --shard "$i/3" --shard-mode "$mode" --list \
      >"$tmp/part$i.txt" 2>/dev/null
  done
  "$PY" - "$tmp" "$filter" "$root" "$mode" <<'EOF' || fail "$mode sharding of filter '$filter'"
import os, sys
tmp, flt, mode = sys.argv[1], sys.argv[2], sys.argv[4]
sys.path.insert(0, os.path.join(sys.argv[3], "sweep"))
from isobench_sweep import costs  # the protocol's statements of the two splits
from isobench_sweep.sharding import name_hash
read = lambda p: [l.rstrip("\n") for l in open(p) if l.strip()]
allnames = read(f"{tmp}/all.txt")
parts = [read(f"{tmp}/part{i}.txt") for i in range(3)]
assert len(allnames) > 0, "empty selection"
assert len(set(allnames)) == len(allnames), "duplicated names in --list"
flat = [n for p in parts for n in p]
assert len(flat) == len(set(flat)), "a name is in two shards"
assert set(flat) == set(allnames), f"shards miss {set(allnames) - set(flat)} / add {set(flat) - set(allnames)}"
if mode == "hash":
    for i, p in enumerate(parts):
        bad = [n for n in p if name_hash(n) % 3 != i]
        assert not bad, f"shard {i} holds names of another shard: {bad[:3]}"
else:
    table = costs.load(sys.argv[3], "quick", costs.mnist_present(sys.argv[3]))
    want = costs.balanced_parts(allnames, table, 3)
    assert parts == want, "the balanced shards are not costs.balanced_parts of the selection"
    print(f"  balanced: estimated makespan / mean {costs.makespan_ratio(parts, table):.2f}")
print(f"{mode}, filter '{flt}': {len(allnames)} runs -> {[len(p) for p in parts]}")
EOF
done
done

echo "== shards run apart and merged equal an unsharded run"
# 8 RQB runs (fixed-rate and rate-sweep, depth 2 and 8) whose shards, read one after the other,
# are not in the unsharded order: the merge must restore it.
filter='^RQB/.*/depth:(2|8)/width:64/.*seed:1'
ISOBENCH_OUT="$tmp/whole" ./isobench bench --filter "$filter" >"$tmp/whole.log" 2>&1 \
  || { cat "$tmp/whole.log"; fail "the unsharded run failed"; }
for i in 0 1 2; do
  ISOBENCH_OUT="$tmp/sweep/shard-$i" ./isobench bench --filter "$filter" --shard "$i/3" --no-report \
    >"$tmp/shard$i.log" 2>&1 || { cat "$tmp/shard$i.log"; fail "shard $i/3 failed"; }
done
ISOBENCH_OUT="$tmp/merged" ./isobench report "$tmp"/sweep/shard-* >"$tmp/merge.log" 2>&1 \
  || { cat "$tmp/merge.log"; fail "merging the three shards failed"; }
"$PY" "$root/reports/compare_results.py" --same-order "$tmp/whole/results.json" "$tmp/merged/results.json" \
  || fail "merged shards differ from the unsharded run"
# The same report, but for its header (inputs, date, version) and the measured wall times of its
# last section ("What the sweep cost").
same_part() { sed '/^## What the sweep cost/,$d' "$1" | grep -v '^- '; }
diff <(same_part "$tmp/whole/report.md") <(same_part "$tmp/merged/report.md") \
  || fail "the merged shards' report differs from the unsharded run's"
[ "$(ls "$tmp/merged/traces" | wc -l)" -eq "$(ls "$tmp/whole/traces" | wc -l)" ] \
  || fail "the merged directory lacks traces"
[ -s "$tmp/merged/report.md" ] || fail "no report for the merged shards"

echo "== the merge reports missing shards, duplicates and unfinished shards"
expect_problem() {  # expect_problem PATTERN INPUT...
  local pattern="$1"; shift
  rm -rf "$tmp/bad"
  if ISOBENCH_OUT="$tmp/bad" ./isobench report "$@" >"$tmp/bad.log" 2>&1; then
    cat "$tmp/bad.log"; fail "report exited 0 although '$pattern' was expected"
  fi
  grep -q -- "$pattern" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "no '$pattern' in the merge's messages"; }
  grep -q -- "$pattern" "$tmp/bad/results.json" || fail "'$pattern' not in context.merge_problems"
  [ -s "$tmp/bad/report.md" ] || fail "no report written despite the problem"
}
expect_problem "missing shard(s) 1/3" "$tmp/sweep/shard-0" "$tmp/sweep/shard-2"
expect_problem "shard 0/3 given twice" "$tmp"/sweep/shard-* "$tmp/sweep/shard-0"
expect_problem "already read from an earlier input" "$tmp"/sweep/shard-* "$tmp/whole"
cp -r "$tmp/sweep" "$tmp/sweep2"
"$PY" - "$tmp/sweep2/shard-1/results.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["context"]["runs_missing"] = [d["benchmarks"].pop()["name"]]
json.dump(d, open(sys.argv[1], "w"))
EOF
expect_problem "did not finish 1 of its runs" "$tmp"/sweep2/shard-*
expect_problem "does not exist\|no results.json there" "$tmp"/sweep/shard-* "$tmp/nowhere"
echo "PASS: sharding disjoint and covering; merged shards equal the unsharded run; merge problems caught"
