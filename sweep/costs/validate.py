#!/usr/bin/python3
"""Check the cost model on the hold-out runs and compare the shard splits (docs/SWEEPS.md).

  validate.py BIN_DIR        BIN_DIR: a build's benchmarks/ (quick or paper: it only lists)

1. Hold-out: sweep/costs/holdout.json holds paper-profile runs measured whole, one per process,
   serially, with the paper build and CI's data (ISOBENCH_DATA_DIR=/work/shared/data: the 10k
   MNIST digits, the full Fashion-MNIST), by
     measure.py build/paper/benchmarks sweep/costs/holdout.json NAME...
   fit.py never reads it. Each is compared with the model's estimate (Table.model_estimate, the
   paper profile at mnist='10k': what those runs read); the total's error must be within 25 %.
2. Shards: the paper profile's names (ISOBENCH_LIST_PROFILE=paper), estimated with full MNIST;
   estimated makespan / mean shard cost at K = 16 and 64, hash split (sharding.part) against the
   balanced split (costs.balanced_parts).
Exit 1 when the hold-out sample is too small (< 10 runs or < 4 families), overlaps the fit, or
misses the 25 % target.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "sweep"))
from isobench_sweep import costs, sharding  # noqa: E402
from isobench_sweep.binaries import profile_names  # noqa: E402


def holdout():
    with open(os.path.join(HERE, "holdout.json")) as f:
        held = json.load(f)
    with open(os.path.join(HERE, "measured_paper.json")) as f:
        fitted = json.load(f)
    table = costs.load(ROOT, "paper", mnist="10k")
    overlap = sorted(set(held) & set(fitted))
    fams = sorted({costs.parse_name(n)[0] for n in held})
    est_sum = meas_sum = 0.0
    print("hold-out runs (paper profile, 10k MNIST digits): measured, model estimate, ratio")
    for n, v in held.items():
        e = table.model_estimate(n)
        est_sum += e
        meas_sum += v["seconds"]
        print(f"  {v['seconds']:8.1f} s {e:8.1f} s  {e / v['seconds']:5.2f}  {n}")
    err = est_sum / meas_sum - 1
    print(f"total: measured {meas_sum:.1f} s, estimated {est_sum:.1f} s, error {err:+.1%} "
          f"({len(held)} runs, families {', '.join(fams)})")
    ok = len(held) >= 10 and len(fams) >= 4 and not overlap and abs(err) <= 0.25
    if overlap:
        print(f"hold-out runs also used to fit: {overlap}")
    return ok


def shards(bin_dir):
    names = profile_names(bin_dir, "paper")
    table = costs.load(ROOT, "paper")
    total = sum(table.estimate(n) for n in names)
    print(f"paper profile: {len(names)} runs, {costs.human(total)} of CPU (full MNIST)")
    for k in (16, 64):
        hashed = [sharding.part(names, i, k) for i in range(k)]
        bal = costs.balanced_parts(names, table, k)
        print(f"  K = {k}: makespan / mean  hash {costs.makespan_ratio(hashed, table):.2f}  "
              f"balanced {costs.makespan_ratio(bal, table):.2f}  (mean shard "
              f"{costs.human(total / k)})")


def main(argv):
    if len(argv) != 1:
        raise SystemExit(__doc__)
    ok = holdout()
    shards(argv[0])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
