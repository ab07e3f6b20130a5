#!/usr/bin/env bash
# `./isobench bench` when things go wrong (issue 18): a failing disk, Ctrl-C / SIGTERM, and a
# benchmark binary that crashes. Nothing is lost silently and nothing written is truncated.
#
# usage: test_faults.sh BENCH_DIR   (the directory holding the bench_* binaries)
# The selection is RQB's fixed-rate runs (4 deterministic runs of about a second each). Faults are
# made without mount rights:
#   - a trace file that is a symlink to /dev/full (writes fail with "No space left on device");
#   - `ulimit -f` with SIGXFSZ ignored (writes past the limit fail with "File too large"), for the
#     binary alone (a wrapper in BENCH_DIR's place) or for the whole driver (results.json);
#   - SIGINT / SIGTERM to the driver once the first run is in the run log;
#   - ISOBENCH_TEST_CRASH_RUN (bench_main.cpp's test hook): the matching run calls std::abort().
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench_dir="$(cd "$1" && pwd)"
export ISOBENCH_BENCH_DIR="$bench_dir"
data="$(cd "$root/.." && pwd)/shared/data"
[ -d "$data" ] || { echo "isobench: SKIPPED: $data is absent (the tests pin their data there)"; exit 77; }
export ISOBENCH_DATA_DIR="$data"
export MPLBACKEND=Agg
PY=/usr/bin/python3
filter='^RQB/.*/lr:0\.125/'
tmp="$(mktemp -d)"
bgpid=""
cleanup() {
  [ -n "$bgpid" ] && kill -KILL "$bgpid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$root"
runs_in() { if [ -f "$1" ]; then grep -c '"run_name"' "$1" || true; else echo 0; fi; }
# ctx DIR PYTHON: asserts PYTHON about c (results.json's context) and e (its entries by name).
ctx() {
  "$PY" - "$1/results.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c, e = d["context"], {b["name"]: b for b in d["benchmarks"]}
exec(sys.argv[2])
EOF
}

echo "== reference run"
ISOBENCH_OUT="$tmp/clean" ./isobench bench --filter "$filter" >"$tmp/clean.log" 2>&1 \
  || { cat "$tmp/clean.log"; fail "the reference run failed"; }
mapfile -t names <"$tmp/clean/selection/bench_rqb.txt"
[ ${#names[@]} -eq 4 ] || fail "expected 4 runs in the selection, got ${#names[@]}"
ctx "$tmp/clean" 'assert c["complete"] is True and c["write_errors"] == [], c' \
  || fail "a clean run is not complete: true"
trace_of() { printf '%s.jsonl' "$(printf '%s' "$1" | sed 's#[^A-Za-z0-9._-]#_#g')"; }
victim="${names[1]}"
vtrace="$(trace_of "$victim")"

echo "== a trace on a full disk (/dev/full)"
o="$tmp/full"
mkdir -p "$o/runs" "$o/traces"
printf 'profile=quick\nversion=%s\n' "$(git describe --always --dirty --tags 2>/dev/null || echo unknown)" \
  >"$o/runs/sweep.txt"  # an (empty) earlier sweep, so that --resume keeps traces/ as it is
ln -s /dev/full "$o/traces/$vtrace"
rc=0
ISOBENCH_OUT="$o" ./isobench bench --filter "$filter" --resume --no-report >"$tmp/full.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$tmp/full.log"; fail "bench exited 0 although a trace could not be written"; }
grep -qF "cannot write $o/traces/$vtrace: No space left on device" "$tmp/full.log" \
  || { cat "$tmp/full.log"; fail "no message naming the trace and 'No space left on device'"; }
ctx "$o" "
assert c['complete'] is False, c
we = c['write_errors']
assert len(we) == 1 and we[0]['path'].endswith('/$vtrace'), we
assert we[0]['reason'] == 'No space left on device' and we[0]['run'] == '$victim', we
assert len(e) == 4 and not any(b.get('error_occurred') for b in e.values()), list(e)
assert c['runs_missing'] == [], c['runs_missing']
" || fail "results.json does not record the failed trace write"
for n in "${names[@]}"; do
  [ "$n" = "$victim" ] && continue
  cmp -s "$o/traces/$(trace_of "$n")" "$tmp/clean/traces/$(trace_of "$n")" \
    || fail "trace of $n differs from the reference run's"
done
left="$(ISOBENCH_OUT="$o" ./isobench bench --filter "$filter" --list --resume)"
[ "$left" = "$victim" ] || fail "--list --resume should offer exactly the run whose trace was lost, got '$left'"

echo "== a file-size limit on the binary (ulimit -f 8, SIGXFSZ ignored)"
mkdir -p "$tmp/limited"
cat >"$tmp/limited/bench_rqb" <<EOF
#!/usr/bin/env bash
trap '' XFSZ
ulimit -f 8
exec "$bench_dir/bench_rqb" "\$@"
EOF
chmod +x "$tmp/limited/bench_rqb"
o="$tmp/fsize"
rc=0
ISOBENCH_BENCH_DIR="$tmp/limited" ISOBENCH_OUT="$o" ./isobench bench --filter "$filter" --no-report \
  >"$tmp/fsize.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$tmp/fsize.log"; fail "bench exited 0 although traces hit the size limit"; }
grep -q "cannot write $o/traces/.*: File too large" "$tmp/fsize.log" \
  || { cat "$tmp/fsize.log"; fail "no message naming a trace and 'File too large'"; }
cut=0
for n in "${names[@]}"; do
  f="$o/traces/$(trace_of "$n")" ref="$tmp/clean/traces/$(trace_of "$n")"
  size="$(stat -c %s "$f")"
  [ "$size" -le 8192 ] || fail "$f is $size bytes, over the 8 KiB limit"
  if [ "$(stat -c %s "$ref")" -gt 8192 ]; then
    cut=$((cut + 1))
    # What was written is the reference trace's first lines, whole: no torn last line.
    [ "$size" -gt 0 ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] \
      || fail "$f: the cut trace does not end with a whole line"
    cmp -s "$f" <(head -n "$(wc -l <"$f")" "$ref") || fail "$f is not the reference trace's first lines"
  else
    cmp -s "$f" "$ref" || fail "$f (under the limit) differs from the reference"
  fi
done
[ $cut -ge 1 ] || fail "no reference trace exceeds 8 KiB: the size-limit case tested nothing"
ctx "$o" "
assert c['complete'] is False and len(c['write_errors']) == $cut, c['write_errors']
assert all(w['reason'] == 'File too large' for w in c['write_errors']), c['write_errors']
" || fail "results.json does not record the traces cut by the size limit"

echo "== results.json and the report over the limit (ulimit -f 1 for the whole driver)"
o="$tmp/rlimit"
cp -a "$tmp/clean" "$o"
cp "$o/results.json" "$tmp/results.before"
cp "$o/report.md" "$tmp/report.before"
[ "$(stat -c %s "$o/report.md")" -gt 1024 ] || fail "report.md is under 1 KiB: the limit would test nothing"
rc=0
( trap '' XFSZ; ulimit -f 1
  ISOBENCH_OUT="$o" ./isobench bench --filter "$filter" --resume ) >"$tmp/rlimit.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$tmp/rlimit.log"; fail "bench exited 0 although results.json could not be written"; }
grep -qF "cannot write $o/results.json.tmp: File too large" "$tmp/rlimit.log" \
  || { cat "$tmp/rlimit.log"; fail "no message naming results.json and 'File too large'"; }
cmp -s "$o/results.json" "$tmp/results.before" || fail "the earlier results.json was changed"
[ ! -e "$o/results.json.tmp" ] || fail "a partial results.json.tmp was left behind"
grep -qF "results.json was NOT written" "$tmp/rlimit.log" \
  || { cat "$tmp/rlimit.log"; fail "bench does not say that results.json was not written"; }
grep -qF "results: $o/results.json" "$tmp/rlimit.log" \
  && { cat "$tmp/rlimit.log"; fail "bench announces a results.json it did not write"; }
cmp -s "$o/report.md" "$tmp/report.before" || fail "a report was made from the stale results.json"
# The report alone over the limit (./isobench report on the directory).
rc=0
( trap '' XFSZ; ulimit -f 1; ISOBENCH_OUT="$o" ./isobench report ) >"$tmp/rlimit-report.log" 2>&1 \
  || rc=$?
[ $rc -ne 0 ] || { cat "$tmp/rlimit-report.log"; fail "report exited 0 although report.md could not be written"; }
grep -qF "report: cannot write $o/report.md: File too large" "$tmp/rlimit-report.log" \
  || { cat "$tmp/rlimit-report.log"; fail "no message naming report.md and 'File too large'"; }
cmp -s "$o/report.md" "$tmp/report.before" || fail "the earlier report.md was changed"
[ ! -e "$o/report.md.tmp" ] || fail "a partial report.md.tmp was left behind"

echo "== Ctrl-C (SIGINT) and SIGTERM mid-sweep"
set -m  # background jobs get their own process group and keep SIGINT (not ignored)
for sig in INT TERM; do
  o="$tmp/sig$sig"
  ISOBENCH_OUT="$o" ./isobench bench --filter "$filter" >"$tmp/sig$sig.log" 2>&1 &
  bgpid=$!
  for _ in $(seq 1 1200); do
    [ "$(runs_in "$o/runs/bench_rqb.jsonl")" -ge 1 ] && break
    kill -0 "$bgpid" 2>/dev/null || break
    sleep 0.05
  done
  kill -"$sig" "$bgpid"
  rc=0
  wait "$bgpid" || rc=$?
  bgpid=""
  want=130; [ $sig = TERM ] && want=143
  [ $rc -eq $want ] || { cat "$tmp/sig$sig.log"; fail "SIG$sig: bench exited $rc, expected $want"; }
  finished="$(runs_in "$o/runs/bench_rqb.jsonl")"
  [ "$finished" -ge 1 ] && [ "$finished" -lt 4 ] \
    || { cat "$tmp/sig$sig.log"; fail "SIG$sig: $finished runs finished (expected 1 to 3: interrupt between runs)"; }
  ctx "$o" "
assert len(e) == $finished and len(c['runs_missing']) == 4 - $finished, c
assert c['complete'] is False, c
" || fail "SIG$sig: results.json does not hold the $finished finished runs"
  grep -q "isobench bench --filter .* --resume" "$tmp/sig$sig.log" \
    || { cat "$tmp/sig$sig.log"; fail "SIG$sig: no word on how to resume"; }
  pgrep -f "$bench_dir/bench_rqb .*isobench_runlog=$o/" >/dev/null \
    && fail "SIG$sig: the benchmark binary is still running"
done
set +m
echo "== resume the interrupted sweep as the message says"
cmd="$(sed -n 's/.*to run the rest: //p' "$tmp/sigINT.log")"
eval "$cmd" >"$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "the resume command failed: $cmd"; }
"$PY" "$root/reports/compare_results.py" --same-order "$tmp/clean/results.json" "$tmp/sigINT/results.json" \
  || fail "the resumed results differ from the reference run's"

echo "== --resume with other data is refused (runs on two data sets would be mixed)"
rc=0
ISOBENCH_DATA_DIR="$tmp" ISOBENCH_OUT="$tmp/sigINT" ./isobench bench --filter "$filter" --resume \
  --no-report >"$tmp/otherdata.log" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -qF "began with ISOBENCH_DATA_DIR='$(realpath -m "$data")', now it is '$(realpath -m "$tmp")'" "$tmp/otherdata.log" \
  || { cat "$tmp/otherdata.log"; fail "--resume with another ISOBENCH_DATA_DIR was not refused"; }

echo "== a crashing run (ISOBENCH_TEST_CRASH_RUN)"
o="$tmp/crash"
rc=0
ISOBENCH_TEST_CRASH_RUN="init:gaussian/depth:2/" ISOBENCH_OUT="$o" \
  ./isobench bench --filter "$filter" --no-report >"$tmp/crash.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$tmp/crash.log"; fail "bench exited 0 after a crash"; }
grep -qF "bench_rqb CRASHED (signal 6, SIGABRT) during $victim" "$tmp/crash.log" \
  || { cat "$tmp/crash.log"; fail "the crash is not reported with its run and signal"; }
[ "$(runs_in "$o/runs/bench_rqb.jsonl")" -eq 4 ] \
  || fail "the run log holds $(runs_in "$o/runs/bench_rqb.jsonl") records, expected 4 (no run retried)"
ctx "$o" "
import json
ref = {b['name']: b for b in json.load(open('$tmp/clean/results.json'))['benchmarks']}
assert list(e) == list(ref), list(e)
v = e['$victim']
assert v['error_occurred'] is True, v
assert v['error_message'] == 'the binary crashed (signal 6) during this run', v
for n, b in e.items():
    if n == '$victim':
        continue
    assert not b.get('error_occurred'), b
    for k in ('steps_to_target', 'final_loss', 'converged'):
        assert b[k] == ref[n][k], (n, k, b[k], ref[n][k])
assert c['runs_missing'] == [], c
" || fail "results.json after the crash"
echo "PASS: write errors (/dev/full, ulimit -f), SIGINT/SIGTERM and a crashed binary handled"
