#!/usr/bin/env bash
# isobench vs its peers on the SEED epoch (PERF/rnn_epoch or PERF/lstm_epoch), all on ONE thread,
# interleaved: N rounds of isobench, PyTorch (torch_seed_rnn.py), libtorch (libtorch_seed_rnn.cpp),
# in that order, so a drift of the machine's speed hits every side alike. Each measurement is a
# fresh process timing one epoch (isobench after one warm-up batch, the peers after one warm-up
# epoch). Prints, per side, the median and interquartile range of the epoch seconds and, per
# peer, of the per-round ratio peer / isobench (> 1: isobench is faster); see summarize_peers.py.
#
# The peers are optional: without Debian's python3-torch or libtorch-dev that peer is skipped
# with the reason and the rest still runs. Needs a release build of bench_perf_rnn
# (./isobench build). Measure on an otherwise idle machine: the numbers are wall times.
#
# usage: benchmarks/peers/compare_peers.sh [rnn|lstm] [--reps N]    (default rnn, N = 5)
# env:   ISOBENCH_PEERS_BENCH  the bench_perf_rnn binary (default build/release/benchmarks/...)
#        ISOBENCH_PEERS_LOG    where the measurement log (JSON lines) goes (default: a temp file;
#                              its path is printed)
# exit:  0 done (peers possibly skipped); 1 a side failed (named); 2 bad arguments
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py=/usr/bin/python3
usage="usage: benchmarks/peers/compare_peers.sh [rnn|lstm] [--reps N]"
bad() { echo "compare_peers.sh: $1" >&2; echo "$usage" >&2; exit 2; }

model=rnn
reps=5
while [ $# -gt 0 ]; do
  case "$1" in
    rnn | lstm) model="$1" ;;
    --reps)
      [ $# -ge 2 ] || bad "--reps needs a value"
      [[ "$2" =~ ^[1-9][0-9]{0,2}$ ]] || bad "--reps expects a positive integer, got '$2'"
      reps="$2"
      shift
      ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) bad "unknown argument '$1'" ;;
  esac
  shift
done

# One thread really: torch.set_num_threads / torch::set_num_threads bound ATen's OpenMP pool but
# not Debian's OpenBLAS (openblas-pthread), which otherwise starts one thread per core.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

bench="${ISOBENCH_PEERS_BENCH:-$root/build/release/benchmarks/bench_perf_rnn}"
[ -x "$bench" ] || { echo "compare_peers.sh: $bench is missing: build first (./isobench build)" \
                       "or set ISOBENCH_PEERS_BENCH" >&2; exit 1; }
log="${ISOBENCH_PEERS_LOG:-$(mktemp "${TMPDIR:-/tmp}/isobench-peers-XXXXXX.jsonl")}"
: >"$log" || { echo "compare_peers.sh: cannot write the log $log" >&2; exit 1; }
out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT

# Which peers run: each probe prints a skip record into the log or enables the peer.
skip() {
  $py -c 'import json,sys; print(json.dumps({"peer": sys.argv[1], "skipped": sys.argv[2]}))' \
    "$1" "$2" >>"$log"
  echo "$1: skipped: $2" >&2
}
sides=(isobench)
probe="$($py "$here/torch_seed_rnn.py" --check)" \
  || { echo "compare_peers.sh: torch_seed_rnn.py --check failed (above)" >&2; exit 1; }
if [[ "$probe" == *'"skipped"'* ]]; then
  skip pytorch "$($py -c 'import json,sys; print(json.loads(sys.argv[1])["skipped"])' "$probe")"
else
  sides+=(pytorch)
fi
libtorch_bin="$("$here/build_libtorch_peer.sh")" \
  || { echo "compare_peers.sh: building the libtorch peer failed (above)" >&2; exit 1; }
if [[ "$libtorch_bin" == skipped:* ]]; then
  skip libtorch "${libtorch_bin#skipped: }"
else
  sides+=(libtorch)
fi

# One measurement of one side: a JSON line with the round, appended to the log.
measure() {
  local side="$1" round="$2" line
  case "$side" in
    isobench)
      line="$(ISOBENCH_OUT="$out_dir" ISOBENCH_BLAS_THREADS=1 "$bench" \
                --benchmark_filter="PERF/${model}_epoch/" --benchmark_format=json 2>"$out_dir/err" |
              $py -c 'import json,sys
b = json.load(sys.stdin)["benchmarks"]
assert len(b) == 1 and "error_message" not in b[0], b
print(json.dumps({"peer": "isobench", "name": b[0]["name"], "threads": 1,
                  "epoch_seconds": b[0]["epoch_seconds"]}))')" \
        || { cat "$out_dir/err" >&2; echo "compare_peers.sh: $bench failed (round $round)" >&2
             return 1; } ;;
    pytorch) line="$($py "$here/torch_seed_rnn.py" --model "$model" --threads 1 --epochs 1)" \
               || { echo "compare_peers.sh: torch_seed_rnn.py failed (round $round)" >&2
                    return 1; } ;;
    libtorch) line="$("$libtorch_bin" --model "$model" --threads 1 --epochs 1)" \
                || { echo "compare_peers.sh: $libtorch_bin failed (round $round)" >&2
                     return 1; } ;;
  esac
  $py -c 'import json,sys
d = json.loads(sys.argv[1])
assert "epoch_seconds" in d, d
d["round"] = int(sys.argv[2])
print(json.dumps(d))' "$line" "$round" >>"$log" \
    || { echo "compare_peers.sh: $side printed no measurement (round $round): $line" >&2
         return 1; }
  echo "round $round/$reps: $side ${model} epoch $(tail -n1 "$log" |
    $py -c 'import json,sys; print(round(json.load(sys.stdin)["epoch_seconds"], 3))') s" >&2
}

echo "${model} epoch, 1 thread each, ${reps} interleaved round(s): ${sides[*]}" >&2
for ((r = 1; r <= reps; r++)); do
  for side in "${sides[@]}"; do measure "$side" "$r" || exit 1; done
done
echo "log: $log"
$py "$here/summarize_peers.py" "$log"
