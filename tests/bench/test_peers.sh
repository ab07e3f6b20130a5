#!/usr/bin/env bash
# ctest peers.scripts: the peer comparison's scripts (benchmarks/peers/) without torch and without
# a real benchmark, in about a second.
#   - every script parses (bash -n, py_compile);
#   - compare_peers.sh rejects bad arguments with exit 2 and the usage;
#   - with torch hidden (a `torch` package on PYTHONPATH whose import fails) and libtorch-dev
#     hidden (a dpkg-query on PATH that reports it not installed), both peers are skipped with
#     their reasons, build_libtorch_peer.sh alone says "skipped: libtorch-dev not installed", and
#     isobench still runs its N rounds (a stand-in bench_perf_rnn printing known epoch seconds);
#   - summarize_peers.py's medians, IQRs and per-round ratios on a hand-written log, and its
#     errors on a malformed log and on a log without isobench.
# Fails naming the check. usage: test_peers.sh REPO_ROOT
set -uo pipefail
root="${1:?usage: test_peers.sh REPO_ROOT}"
peers="$root/benchmarks/peers"
py=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $1" >&2; fails=$((fails + 1)); }
expect_in() {  # expect_in WHAT NEEDLE HAYSTACK
  [[ "$3" == *"$2"* ]] || fail "$1: expected '$2' in: $3"
}

# 1. Syntax.
for f in "$peers"/*.sh; do bash -n "$f" || fail "bash -n $f"; done
for f in "$peers"/*.py; do
  $py -m py_compile "$f" 2>"$tmp/err" || fail "py_compile $f: $(cat "$tmp/err")"
done

# 2. Argument errors: exit 2 with the usage, before anything runs.
for args in "gru" "--reps" "--reps 0" "--reps x" "--reps 1 --fast"; do
  # shellcheck disable=SC2086
  out="$(ISOBENCH_PEERS_BENCH=/nonexistent "$peers/compare_peers.sh" $args 2>&1)"
  rc=$?
  [ $rc -eq 2 ] || fail "compare_peers.sh $args: exit $rc, expected 2 ($out)"
  expect_in "compare_peers.sh $args" "usage:" "$out"
done

# 3. The skip path: torch and libtorch-dev hidden, a stand-in benchmark.
mkdir -p "$tmp/hide/torch" "$tmp/bin"
echo 'raise ImportError("hidden by test_peers.sh")' >"$tmp/hide/torch/__init__.py"
cat >"$tmp/bin/dpkg-query" <<'EOF'
#!/bin/sh
echo "dpkg-query: no packages found matching $3" >&2
exit 1
EOF
# The stand-in prints Google Benchmark JSON with epoch seconds 0.3, 0.4, 0.5, ... per call.
cat >"$tmp/bench" <<EOF
#!/bin/sh
n=\$(cat "$tmp/calls" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$tmp/calls"
echo "\$ISOBENCH_BLAS_THREADS \$1" >>"$tmp/args"
echo '{"benchmarks": [{"name": "PERF/rnn_epoch/hidden:128/batch:128",'
echo '  "epoch_seconds": 0.'\$((n + 2))'}]}'
EOF
chmod +x "$tmp/bin/dpkg-query" "$tmp/bench"
hidden_env=(env PATH="$tmp/bin:$PATH" PYTHONPATH="$tmp/hide" ISOBENCH_PEERS_BENCH="$tmp/bench"
            ISOBENCH_PEERS_BUILD_DIR="$tmp/peers-build" ISOBENCH_PEERS_LOG="$tmp/log.jsonl")
out="$("${hidden_env[@]}" "$peers/build_libtorch_peer.sh" 2>&1)"
[ $? -eq 0 ] || fail "build_libtorch_peer.sh without libtorch-dev: nonzero exit ($out)"
expect_in "build_libtorch_peer.sh without libtorch-dev" "skipped: libtorch-dev not installed" \
  "$out"
[ ! -e "$tmp/peers-build" ] || fail "build_libtorch_peer.sh built something without libtorch-dev"
out="$("${hidden_env[@]}" "$peers/compare_peers.sh" rnn --reps 3 2>&1)"
rc=$?
[ $rc -eq 0 ] || fail "compare_peers.sh with both peers absent: exit $rc ($out)"
expect_in "pytorch skip" "pytorch: skipped: python3-torch is not installed" "$out"
expect_in "libtorch skip" "libtorch: skipped: libtorch-dev not installed" "$out"
expect_in "isobench rounds" "isobench: epoch seconds median 0.400 (IQR 0.350–0.450, n = 3)" "$out"
expect_in "no peer" "no peer measured" "$out"
[ "$(cat "$tmp/calls" 2>/dev/null)" = 3 ] \
  || fail "the stand-in ran $(cat "$tmp/calls" 2>/dev/null) times, not 3"
grep -qv '^1 --benchmark_filter=PERF/rnn_epoch/$' "$tmp/args" \
  && fail "isobench not run with 1 BLAS thread and the rnn_epoch filter: $(cat "$tmp/args")"

# 4. The summary on a known log: ratios per round, medians and IQRs (linear interpolation).
cat >"$tmp/known.jsonl" <<'EOF'
{"round": 1, "peer": "isobench", "epoch_seconds": 1.0}
{"round": 1, "peer": "pytorch", "epoch_seconds": 2.0}
{"round": 2, "peer": "isobench", "epoch_seconds": 2.0}
{"round": 2, "peer": "pytorch", "epoch_seconds": 3.0}
{"round": 3, "peer": "isobench", "epoch_seconds": 4.0}
{"round": 3, "peer": "pytorch", "epoch_seconds": 10.0}
{"round": 4, "peer": "isobench", "epoch_seconds": 3.0}
{"round": 4, "peer": "pytorch", "epoch_seconds": 6.0}
{"peer": "libtorch", "skipped": "not here"}
EOF
out="$($py "$peers/summarize_peers.py" "$tmp/known.jsonl" 2>&1)"
want="isobench: epoch seconds median 2.500 (IQR 1.750–3.250, n = 4)
pytorch: epoch seconds median 4.500 (IQR 2.750–7.000, n = 4)
pytorch / isobench: median 2.000 (IQR 1.875–2.125, n = 4)
libtorch: skipped: not here"
[ "$out" = "$want" ] || fail "summarize_peers.py on a known log printed:
$out
expected:
$want"
echo '{"round": 1, "peer": "pytorch"}' >"$tmp/bad.jsonl"
out="$($py "$peers/summarize_peers.py" "$tmp/bad.jsonl" 2>&1)"
[ $? -eq 1 ] || fail "summarize_peers.py accepted a record without epoch_seconds"
expect_in "malformed log" "bad.jsonl:1:" "$out"
echo '{"round": 1, "peer": "pytorch", "epoch_seconds": 1}' >"$tmp/noours.jsonl"
out="$($py "$peers/summarize_peers.py" "$tmp/noours.jsonl" 2>&1)"
[ $? -eq 1 ] || fail "summarize_peers.py accepted a log without isobench"
expect_in "no isobench" "no isobench measurement" "$out"

[ $fails -eq 0 ] || { echo "peers.scripts: $fails check(s) failed" >&2; exit 1; }
echo "peers.scripts: all checks passed"
