#!/usr/bin/env bash
# Memory-safety sample (issue 18): builds the `asan` preset (AddressSanitizer + UBSan,
# CMakePresets.json) and runs, under it,
#   - a sample of every family's runs: 1–4 of the cheapest runs of each bench_* binary (below),
#   - the bad inputs: the data unit tests, which replay the fuzz corpora under tests/fixtures and
#     build truncated / oversized / wrong-encoding files themselves, plus the optimizer and
#     constraint tests (state bound to parameter sizes, NaN/Inf refused).
# Any sanitizer report fails the command (halt_on_error); so does a run that reports an error or
# a filter that selects nothing. Too slow for CI (a from-scratch asan build takes ~30 min on 2
# cores; the sample then runs in ~2 min): run it before resolving a memory-safety issue.
#
# Usage: scripts/asan_sample.sh [FAMILY...]        e.g. scripts/asan_sample.sh perf task tests
#   FAMILY: perf perf_ortho perf_rnn perf_spectrum rqa rqb rqc rqd rqe seed sent task tests
#   (default: all of them). Environment:
#   ISOBENCH_ASAN_JOBS     build parallelism (default 2)
#   ISOBENCH_ASAN_NO_BUILD =1: use build/asan as it is
#   ISOBENCH_DATA_DIR      the data (default: ../shared/data next to the repository)
#   ISOBENCH_ASAN_OUT      where results and logs go (default: a new directory under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# One --isobench_filter (POSIX ERE on CONTRACT names) per family: the cheapest runs, and the ones
# that reach the LAPACK wrappers, constraints and penalties.
declare -A SAMPLE=(
  [perf]='^PERF/(sgemm/m:128/n:128/k:128|mlp_step/act:tanh/depth:8/width:128/batch:128)$'
  [perf_ortho]='^PERF/(penalty/reg:(so|mc|srip)/n:128|constraint/constraint:(qr|polar|cayley|margin)/n:128)$'
  [perf_rnn]='^PERF/rnn_step/hidden:128/batch:128$'
  [perf_spectrum]='^PERF/jacobian_spectrum/'
  [rqa]='^RQA/mlp/act:(linear|tanh)/init:orthogonal/sw2:(1|1\.05)/sb2:[^/]*/depth:1/width:256/seed:1$'
  [rqb]='^RQB/mlp/dataset:mnist/act:linear/init:orthogonal/depth:2/width:64/opt:gd/lr:0\.125/seed:1$'
  [rqc]='^RQC/mlp/dataset:mnist/act:tanh/init:orthogonal/sw2:1\.05/sb2:2\.01e-05/depth:32/width:128/opt:adam/lr:0\.0003/seed:1$'
  [rqd]='^RQD/rnn/task:rowmnist/.*/reg:none/constraint:qr/opt:adam/lr:0\.001/seed:1$'
  [rqe]='^RQE/mlp/dataset:mnist/act:tanh/init:gaussian/depth:4/width:128/reg:so/norm:sum/lambda:0\.01/opt:adam/lr:0\.001/seed:1$'
  [seed]='^SEED/rnn/task:rowmnist/dataset:mnist/act:tanh/init:glorot_uniform/.*/reg:none/.*/seed:1$'
  [sent]='^SENT/lstm/task:sentiment/dataset:rt-polarity/init:glorot_uniform/.*/reg:none/.*/seed:1$'
  [task]='^TASK/(rnn/task:copy/act:tanh/init:orthogonal/hidden:64/batch:32/constraint:cayley/.*/seed:1|lstm/task:adding/.*/seed:1)$'
)
ORDER=(perf perf_ortho perf_rnn perf_spectrum rqa rqb rqc rqd rqe seed sent task)
TESTS=(test_idx test_embedding test_text test_datasets test_optim test_constraint test_penalty
       test_run_guard)

want=("$@")
[[ ${#want[@]} -eq 0 ]] && want=("${ORDER[@]}" tests)
for f in "${want[@]}"; do
  [[ $f == tests || -n ${SAMPLE[$f]+x} ]] || { echo "asan_sample: unknown family '$f' (known: ${ORDER[*]} tests)" >&2; exit 2; }
done

targets=()
for f in "${want[@]}"; do
  if [[ $f == tests ]]; then targets+=("${TESTS[@]}"); else targets+=("bench_$f"); fi
done
if [[ ${ISOBENCH_ASAN_NO_BUILD:-0} != 1 ]]; then
  cmake --preset asan >/dev/null
  cmake --build build/asan -j"${ISOBENCH_ASAN_JOBS:-2}" --target "${targets[@]}"
fi

export ISOBENCH_DATA_DIR=${ISOBENCH_DATA_DIR:-$root/../shared/data}
export ISOBENCH_BLAS_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
out=${ISOBENCH_ASAN_OUT:-$(mktemp -d /tmp/isobench_asan.XXXXXX)}
mkdir -p "$out"
export ISOBENCH_OUT=$out
echo "asan_sample: data $ISOBENCH_DATA_DIR, results and logs in $out"

failed=()
for f in "${want[@]}"; do
  if [[ $f == tests ]]; then
    for t in "${TESTS[@]}"; do
      echo "== $t"
      if ! (cd build/asan/tests && "./$t" >"$out/$t.log" 2>&1); then
        failed+=("$t (log: $out/$t.log)")
        tail -30 "$out/$t.log"
      fi
    done
    continue
  fi
  bin=build/asan/benchmarks/bench_$f
  echo "== bench_$f: ${SAMPLE[$f]}"
  start=$SECONDS
  if ! "$bin" --isobench_filter="${SAMPLE[$f]}" --benchmark_min_time=0.01 \
      --benchmark_out="$out/bench_$f.json" --benchmark_out_format=json >"$out/bench_$f.log" 2>&1; then
    failed+=("bench_$f exited non-zero (log: $out/bench_$f.log)")
    tail -40 "$out/bench_$f.log"
    continue
  fi
  # Every selected run must have run without an error.
  if ! /usr/bin/python3 - "$out/bench_$f.json" <<'EOF'; then
import json, sys
runs = json.load(open(sys.argv[1])).get("benchmarks", [])
bad = [(r["name"], r.get("error_message", "")) for r in runs if r.get("error_occurred")]
for name, msg in bad:
    print(f"  error: {name}: {msg}")
if not runs:
    print("  the filter selected no run")
sys.exit(1 if bad or not runs else 0)
EOF
    failed+=("bench_$f: a run failed or none ran (log: $out/bench_$f.log)")
  fi
  echo "   $(($SECONDS - start)) s"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "asan_sample: FAILED:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "asan_sample: clean (no sanitizer report, every sampled run succeeded)"
