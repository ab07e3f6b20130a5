#!/usr/bin/python3
"""Fit the cost table sweep/costs/costs.json from measured runs (numpy, scipy; by hand).

  fit.py [--quick-results RESULTS.json]

Inputs, all in sweep/costs/ and committed:
  measured_quick.json   {name: {"seconds", "how"}}: the quick profile's runs on the reference
                        machine. --quick-results refreshes its non-PERF entries from a serial
                        quick sweep's results.json (real_time of an iterations:1 run is its whole
                        time); PERF entries come from measure.py (whole process per run).
  measured_paper.json   paper runs measured for the fit (measure.py, some truncated).
  The hold-out runs (holdout.json) are NOT read here: validate.py checks the model on them.
Output: costs.json — the budgets below (copied from benchmarks/family_*.cpp), the measured
costs per profile, and per family the coefficients a (s) and b (s/GFLOP) of cost = a + b·G
(costs.work), fitted by non-negative least squares on relative errors over the family's
measured runs of both profiles.
"""
import json
import os
import sys

import numpy as np
from scipy.optimize import nnls

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from isobench_sweep import costs  # noqa: E402

# Per family and profile, what a run's name does not say (benchmarks/family_*.cpp).
BUDGETS = {
    "RQA": {"quick": {"rnn_sequences": 4}, "paper": {"rnn_sequences": 4}},
    # Runs stop at the target: steps do not follow the budget; 16 rates, 1 for fixed-rate runs.
    "RQB": {"quick": {"rates": 16}, "paper": {"rates": 16}},
    "RQC": {"quick": {"steps": 300, "eval_every": 25, "eval_train": 1000, "eval_val": 1000,
                      "test": 2000, "batch": 64, "max_train": 8000},
            "paper": {"steps": 5000, "eval_every": 500, "eval_train": 2000, "eval_val": 5000,
                      "test": 0, "batch": 64, "max_train": 0}},
    "RQE": {"quick": {"steps": 300, "eval_every": 25, "eval_train": 500, "eval_val": 1000,
                      "test": 2000, "batch": 64, "max_train": 8000},
            "paper": {"steps": 6000, "eval_every": 250, "eval_train": 5000, "eval_val": 0,
                      "test": 0, "batch": 64, "max_train": 0}},
    "RQD": {"quick": {"epochs": 4, "eval_train": 1000},
            "paper": {"epochs_rowmnist": 15, "epochs_pixelmnist": 10, "epochs_permmnist": 10,
                      "eval_train": 1000}},
    "SEED": {"quick": {"epochs": 5, "max_train": 8000}, "paper": {"epochs": 15}},
    "SENT": {"quick": {"epochs": 2, "max_train": 2048, "fast_lr": "0.01", "fast_epochs": 2,
                       "dim": 32, "length": 50, "train_all": 8530, "train_half": 4264,
                       "val_all": 1066, "val_half": 533},
             "paper": {"epochs": 50, "max_train": 0, "dim": 300, "length": 50,
                       "train_all": 8530, "train_half": 4264, "val_all": 1066, "val_half": 533}},
    "TASK": {"quick": {"copy_T": 20, "adding_T": 50, "steps": 3000, "eval_every": 250,
                       "eval_samples": 512, "mnist_epochs": 10, "eval_train": 1000},
             "paper": {"copy_T": 1000, "adding_T": 750, "steps": 10000, "eval_every": 250,
                       "eval_samples": 512, "mnist_epochs": 10, "eval_train": 1000}},
    "PERF": {"quick": {}, "paper": {}},
}
# Runs that are the same in both profiles (the paper profile uses their quick measurement), and
# paper runs that are a quick run scaled (PERF's epoch runs time 3 epochs in the paper profile).
PROFILE_FREE = {"RQA": ["^RQA/phase_diagram/", "^RQA/rnn_phase_diagram/"], "RQB": ["/lr:"],
                "PERF": ["^PERF/(?!rnn_epoch/|lstm_epoch/)"]}
PAPER_SCALE = {"PERF": {"^PERF/(rnn_epoch|lstm_epoch)/": 3}}
MNIST_OF = {"quick": "10k", "paper": "10k"}  # what the measurements read: CI's 10k digits


def read(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def from_results(path, out):
    """Non-PERF iterations:1 runs of a serial results.json into measured_quick.json."""
    unit = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    data = read(out)
    with open(path) as f:
        res = json.load(f)
    for e in res["benchmarks"]:
        if e["name"].startswith("PERF/") or e.get("error_occurred"):
            continue
        data[e["name"]] = {"seconds": round(e["real_time"] * unit[e["time_unit"]], 4),
                           "how": f"real_time in {os.path.basename(path)} (serial quick sweep)"}
    with open(out, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def fit_family(fam, rows):
    """rows: [(G, seconds)] -> (a, b) minimizing Σ((a + bG − s)/s)², a, b ≥ 0."""
    if fam == "PERF" or all(g == 0 for g, _ in rows):
        return float(np.mean([s for _, s in rows])), 0.0
    A = np.array([[1.0 / s, g / s] for g, s in rows])
    coef, _ = nnls(A, np.ones(len(rows)))
    return float(coef[0]), float(coef[1])


def main(argv):
    mq, mp = os.path.join(HERE, "measured_quick.json"), os.path.join(HERE, "measured_paper.json")
    if argv[:1] == ["--quick-results"]:
        from_results(argv[1], mq)
    quick, paper = read(mq), read(mp)
    table = {"format": 1,
             "about": "isobench run costs: seconds of one core of the reference machine "
                      "(2-core x86-64, OpenBLAS 1 thread); model cost = a + b*G, G in GFLOP "
                      "(sweep/isobench_sweep/costs.py); fitted by sweep/costs/fit.py",
             "measured": {"quick": {n: v["seconds"] for n, v in sorted(quick.items())},
                          "paper": {n: v["seconds"] for n, v in sorted(paper.items())}},
             "families": {}}
    for fam, budgets in BUDGETS.items():
        rows = []
        for prof, runs in (("quick", quick), ("paper", paper)):
            for n, v in runs.items():
                if costs.parse_name(n)[0] != fam:
                    continue
                try:
                    g = costs.work(n, budgets[prof], MNIST_OF[prof])
                except costs._NoEstimate:
                    continue  # e.g. RQA/phase_diagram: measured, outside the model
                rows.append((g, v["seconds"]))
        a, b = fit_family(fam, rows)
        table["families"][fam] = {"a": round(a, 6), "b": round(b, 9), "fitted_on": len(rows),
                                  "budgets": budgets,
                                  "profile_free": PROFILE_FREE.get(fam, []),
                                  "paper_scale": PAPER_SCALE.get(fam, {})}
        print(f"{fam:5} a={a:8.3f} s  b={b:9.5f} s/GFLOP  on {len(rows)} runs")
    with open(os.path.join(HERE, "costs.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
