#!/usr/bin/env bash
# `./isobench bench --method NAME --list` on this build's binaries: the selection is what
# reports/method_runs.py picks from `--list` (the method's runs and their baselines), the binaries
# accept it (std::regex), --filter intersects it, --shard I/2 splits it, an unknown method is an
# error naming it and listing the methods that have runs. Listing only: nothing runs.
#
# usage: test_method_list.sh BENCH_DIR   (the directory holding the bench_* binaries)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ISOBENCH_BENCH_DIR="$1"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$root"

./isobench bench --list >"$tmp/all.txt"
grep -q 'constraint:cayley' "$tmp/all.txt" || { echo "no cayley run in $1: skipped"; exit 77; }

echo "== --method cayley --list is method_runs.py's selection, accepted by the binaries"
./isobench bench --method cayley --list >"$tmp/cayley.txt" || fail "--method cayley --list failed"
"$PY" reports/method_runs.py --method cayley --names "$tmp/all.txt" >"$tmp/want.txt"
diff "$tmp/want.txt" "$tmp/cayley.txt" || fail "--method cayley --list differs from method_runs.py"
grep -q '/constraint:cayley/' "$tmp/cayley.txt" || fail "no cayley run selected"
grep -q '/constraint:none/' "$tmp/cayley.txt" || fail "no unconstrained baseline selected"
! grep -q '/reg:so/' "$tmp/cayley.txt" || fail "a penalized run is not a baseline of cayley"
echo "cayley: $(grep -c . "$tmp/cayley.txt") of $(grep -c . "$tmp/all.txt") runs"

echo "== every user penalty in methods/ (e.g. brock_offdiag) runs in every family with a penalty axis"
"$1/bench_perf_ortho" --isobench_methods=json >"$tmp/methods.json" || fail "--isobench_methods=json failed"
users="$("$PY" -c 'import json,sys; print(" ".join(m["name"] for m in json.load(open(sys.argv[1])) if m["kind"] == "penalty" and not m["builtin"]))' "$tmp/methods.json")"
[ -n "$users" ] || echo "(methods/ holds no penalty: nothing to check here)"
for u in $users; do
  ./isobench bench --method "$u" --list >"$tmp/u.txt" || fail "--method $u --list failed"
  for fam in RQD RQE SEED SENT TASK PERF; do
    grep -q "^$fam/.*reg:$u/" "$tmp/u.txt" || fail "no $u run in $fam"
  done
  grep -q '^RQE/.*/reg:none/' "$tmp/u.txt" || fail "RQE: no unpenalized baseline of $u selected"
  grep -q '^RQE/.*/reg:so/' "$tmp/u.txt" || fail "RQE: no built-in penalty baseline of $u selected"
  grep -q '^TASK/.*/constraint:none/' "$tmp/u.txt" || fail "TASK: no unpenalized baseline of $u"
  "$PY" reports/method_runs.py --method "$u" --names "$tmp/all.txt" | diff - "$tmp/u.txt" \
    || fail "--method $u --list differs from method_runs.py"
  echo "$u: $(grep -c . "$tmp/u.txt") runs with its baselines"
done

echo "== --filter intersects, --shard splits"
./isobench bench --method cayley --filter 'seed:1$' --list >"$tmp/f.txt"
grep 'seed:1$' "$tmp/cayley.txt" | diff - "$tmp/f.txt" || fail "--method with --filter is not the intersection"
for i in 0 1; do ./isobench bench --method cayley --shard "$i/2" --list >"$tmp/s$i.txt"; done
[ -s "$tmp/s0.txt" ] && [ -s "$tmp/s1.txt" ] || fail "a shard of the selection is empty"
sort "$tmp/s0.txt" "$tmp/s1.txt" | diff - <(sort "$tmp/cayley.txt") || fail "shards do not cover the selection"

echo "== an unknown method, and nothing left by --filter, are errors"
rc=0; ./isobench bench --method nosuch --list >"$tmp/out" 2>"$tmp/err" || rc=$?
[ $rc -ne 0 ] || fail "--method nosuch succeeded"
grep -q "no run uses the method 'nosuch'" "$tmp/err" || { cat "$tmp/err"; fail "message does not name nosuch"; }
grep -q "cayley" "$tmp/err" || { cat "$tmp/err"; fail "message does not list the methods"; }
[ ! -s "$tmp/out" ] || fail "--method nosuch listed runs"
rc=0; ./isobench bench --method cayley --filter '^NOFAMILY/' --list >"$tmp/out" 2>"$tmp/err" || rc=$?
[ $rc -ne 0 ] && grep -q "matches --filter '^NOFAMILY/'" "$tmp/err" \
  || { cat "$tmp/err"; fail "--method with an empty intersection"; }
echo "OK"
