#!/usr/bin/env bash
# `./isobench bench --probe` (sweep/isobench_sweep/probe.py, benchmarks/common/probe.hpp): one
# seed per configuration, each classified by its family's criteria, on configurations that learn,
# plateau and are finite as they are, and on the same made flat (ISOBENCH_LR_SCALE=1e-9) and
# diverged (ISOBENCH_LR_SCALE=100) on purpose; the probe's refusals.
#
# usage: test_probe.sh BENCH_DIR   (the quick-profile bench_* binaries)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/setup.sh"
rqb='RQB/.*/init:orthogonal/depth:2/width:64/opt:gd/lr:0\.125/'
seed='SEED/rnn/task:rowmnist/dataset:mnist/act:tanh/init:orthogonal/gain:1\.25/hidden:128/batch:128/reg:none/'
task='TASK/rnn/task:copy/act:tanh/init:orthogonal/hidden:64/batch:32/constraint:none/'
rqa='RQA/mlp/act:tanh/init:orthogonal/sw2:1\.05/.*/depth:1/'
probe() {  # probe OUT_NAME FILTER [ENV=VALUE...]: a probe into $tmp/OUT_NAME, its log beside
  local name="$1" filter="$2"
  shift 2
  env "$@" ISOBENCH_OUT="$tmp/$name" ./isobench bench --probe --filter "$filter" \
    >"$tmp/$name.txt" 2>"$tmp/$name.log"
}
class_of() {  # class_of OUT_NAME REGEX: the class of the one probed run matching REGEX
  $PY - "$tmp/$1/probe.json" "$2" <<'PY'
import json, re, sys
rows = [r for r in json.load(open(sys.argv[1]))["runs"] if re.search(sys.argv[2], r["name"])]
if len(rows) != 1:
    sys.exit(f"{len(rows)} probed runs match {sys.argv[2]}")
print(rows[0]["class"])
PY
}
expect() {  # expect OUT_NAME REGEX CLASS
  local got
  got="$(class_of "$1" "$2")" || fail "$1: $got"
  [ "$got" = "$3" ] || { cat "$tmp/$1.txt"; fail "$1: $2 probed '$got', expected '$3'"; }
}

echo "== as configured: learning, plateau, finite; one seed each"
probe normal "^($rqb|$seed|$task|$rqa)" || { cat "$tmp/normal.log"; fail "the probe failed"; }
expect normal "^RQB/" learning
expect normal "^TASK/" plateau
expect normal "^RQA/" finite
n="$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["benchmarks"]))' "$tmp/normal/results.json")"
[ "$n" = 4 ] || fail "expected 4 probed runs (one seed of each of 4 configurations), got $n"
$PY -c 'import json,sys; c=json.load(open(sys.argv[1]))["context"]; sys.exit(0 if c.get("probe") is True else 1)' \
  "$tmp/normal/results.json" || fail "results.json's context does not say probe"
grep -q "^# probe: classes per family" "$tmp/normal.txt" || fail "no class table printed"
grep -q "ms/step" "$tmp/normal.txt" || fail "no cost per step printed"
[ -s "$tmp/normal/probe.txt" ] || fail "probe.txt not written"

echo "== made flat on purpose (every learning rate × 1e-9)"
probe flat "^($rqb|$seed)" ISOBENCH_LR_SCALE=1e-9 || { cat "$tmp/flat.log"; fail "the probe failed"; }
expect flat "^RQB/" flat    # a plateau family: the gradient is there, but nothing moved
expect flat "^SEED/" flat
grep -A1 "^flat .*SEED/" "$tmp/flat.txt" | grep -q "hint: nothing moved" \
  || { cat "$tmp/flat.txt"; fail "no 'nothing moved' hint for the flat SEED run"; }
grep -q "^# flagged: 2 configuration" "$tmp/flat.txt" || fail "the flat runs are not flagged"

echo "== diverged on purpose (learning rate × 100)"
probe diverged "^$rqb" ISOBENCH_LR_SCALE=100 || { cat "$tmp/diverged.log"; fail "the probe failed"; }
expect diverged "^RQB/" diverged
grep -q "hint: diverged within the slice" "$tmp/diverged.txt" || fail "no hint for the diverged run"

echo "== refusals and --list"
if ISOBENCH_PROBE=1 ISOBENCH_OUT="$tmp/x" ./isobench bench --filter "^$rqb" >"$tmp/x.log" 2>&1; then
  fail "a sweep with ISOBENCH_PROBE=1 but without --probe ran"
fi
grep -q "ISOBENCH_PROBE=1 is set" "$tmp/x.log" || { cat "$tmp/x.log"; fail "no reason given"; }
if ./isobench bench --probe --shard 0/2 --list >"$tmp/s.log" 2>&1; then fail "--probe --shard ran"; fi
grep -q "does not shard" "$tmp/s.log" || { cat "$tmp/s.log"; fail "no reason for --probe --shard"; }
./isobench bench --probe --list --filter "^$rqa" >"$tmp/list.txt" 2>"$tmp/list.log"
[ "$(grep -c . "$tmp/list.txt")" = 1 ] || { cat "$tmp/list.txt"; fail "--probe --list: not one seed"; }
grep -q "seed:1$" "$tmp/list.txt" || fail "--probe --list did not pick the first seed"
grep -q "^# the probe: one seed per configuration" "$tmp/list.log" || fail "no probe line in --list"
echo "PASS"
