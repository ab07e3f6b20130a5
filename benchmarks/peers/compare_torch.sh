#!/usr/bin/env bash
# isobench vs PyTorch on the SEED network (PERF/rnn_epoch, PERF/lstm_epoch), each at its fastest
# thread count (1 or 2), measured back to back in one run. Needs a release build
# (./isobench build) and, for the peer, Debian's python3-torch (skipped cleanly without it).
# A one-shot look, not the measurement to report: OpenBLAS inside torch is not pinned here (it may
# use every core at "1 thread"). compare_peers.sh interleaves repetitions on one thread each,
# with libtorch too, and reports medians and IQRs.
#
# usage: benchmarks/peers/compare_torch.sh [rnn|lstm]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-rnn}"
bin="$root/build/release/benchmarks/bench_perf_rnn"
[ -x "$bin" ] || { echo "build first: ./isobench build" >&2; exit 1; }
best_isobench=""
for t in 1 2; do
  s=$(ISOBENCH_OUT="$(mktemp -d)" ISOBENCH_BLAS_THREADS=$t "$bin" \
        --benchmark_filter="PERF/${model}_epoch/" --benchmark_format=json 2>/dev/null |
      /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(min(b["epoch_seconds"] for b in d["benchmarks"]))')
  echo "isobench ${model}_epoch, ${t} BLAS thread(s): ${s} s"
  if [ -z "$best_isobench" ] || /usr/bin/python3 -c "import sys; sys.exit(0 if $s < $best_isobench else 1)"; then
    best_isobench=$s
  fi
done
peer=$(/usr/bin/python3 "$root/benchmarks/peers/torch_seed_rnn.py" --model "$model" --threads 1 2)
echo "$peer"
if echo "$peer" | grep -q skipped; then exit 0; fi
/usr/bin/python3 - "$best_isobench" <<PYEOF
import json, sys
lines = [json.loads(l) for l in """$peer""".splitlines() if l.strip()]
torch_best = min(l["epoch_seconds"] for l in lines)
ours = float(sys.argv[1])
print(f"${model} epoch: isobench {ours:.3f} s, PyTorch {torch_best:.3f} s (best thread count each): "
      f"isobench is {torch_best / ours:.2f}x faster")
PYEOF
