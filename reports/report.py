#!/usr/bin/env python3
"""isobench report: results files (and their traces) → report.md, PNG figures, one CSV per table.

usage: report.py --out DIR RESULTS.json|DIR [...]

Any number of inputs merge into one report (shards of a sweep): a directory means its
results.json. Duplicated run names (the same run in two inputs) are reported and the first kept;
errored runs are listed; malformed files are named and skipped. The report is always written,
partial if need be; the exit code is 1 when an input could not be read.
"""
import argparse
import csv
import json
import math
import os
import re
import statistics
import sys
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FAMILY_ORDER = ["RQA", "RQB", "RQC", "RQD", "RQE", "SEED", "SENT", "TASK", "PERF"]
FAMILY_TITLE = {
    "RQA": "RQA — vanishing and exploding gradients at initialization",
    "RQB": "RQB — convergence speed against depth (Saxe et al. 2013)",
    "RQC": "RQC — accuracy with and without dynamical isometry",
    "RQD": "RQD — can a hard orthogonality constraint hurt?",
    "RQE": "RQE — when does a soft orthogonality penalty pay?",
    "SEED": "SEED — the seed study's gain-adjusted orthogonal RNN",
    "SENT": "SENT — sentence sentiment with an LSTM",
    "TASK": "TASK — long-memory tasks",
    "PERF": "PERF — speed",
}
# Counters shown in each family's table, in order (those present are shown).
KEY_COUNTERS = {
    "RQA": ["sv2_mean", "theory_sv2_mean", "sv2_var", "theory_sv2_var", "sv2_max",
            "theory_sv2_max", "sv_min", "cond", "grad_norm_ratio", "theory_chi"],
    "RQB": ["steps_to_target", "lr_best", "converged", "diverged", "step_budget"],
    "PERF": ["gflops", "epoch_seconds"],
}
DEFAULT_COUNTERS = ["steps_to_target", "best_val_acc", "final_acc", "test_acc", "final_loss",
                    "baseline_loss", "ortho_err", "kernel_sv_mean", "kernel_sv_std",
                    "epoch_seconds", "train_seconds", "converged", "diverged"]
NON_COUNTER_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                    "repetitions", "repetition_index", "threads", "iterations", "real_time",
                    "cpu_time", "time_unit", "error_occurred", "error_message", "aggregate_name",
                    "aggregate_unit", "label"}


def warn(msg):
    print(f"report: {msg}", file=sys.stderr)


def load_inputs(paths):
    """Returns (context, runs, problems). runs: OrderedDict name → entry."""
    runs, problems, context, trace_dirs = OrderedDict(), [], {}, {}
    for p in paths:
        f = os.path.join(p, "results.json") if os.path.isdir(p) else p
        try:
            with open(f) as fh:
                d = json.load(fh)
            if not isinstance(d, dict) or not isinstance(d.get("benchmarks", []), list):
                raise ValueError("not a Google Benchmark results object")
        except (OSError, ValueError) as e:
            problems.append(f"`{f}` could not be read ({e}); it is left out of this report")
            warn(problems[-1])
            continue
        if not context:
            context = dict(d.get("context", {}))
        elif d.get("context", {}).get("datasets") and context.get("datasets") != d["context"]["datasets"]:
            problems.append(f"`{f}` was run on other datasets ({d['context']['datasets']}) than the "
                            f"first input ({context.get('datasets')})")
        for b in d.get("benchmarks", []):
            name = b.get("name")
            if not name:
                continue
            if name in runs:
                problems.append(f"duplicate run `{name}` in `{f}` (first copy kept)")
                continue
            runs[name] = b
            trace_dirs[name] = os.path.join(os.path.dirname(os.path.abspath(f)), "traces")
    return context, runs, problems, trace_dirs


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def read_trace(trace_dirs, name):
    path = os.path.join(trace_dirs.get(name, ""), sanitize(name) + ".jsonl")
    rows = []
    try:
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if line:
                    try:
                        rows.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        return None
    return rows


def parse_name(name):
    parts = name.split("/")
    keys = OrderedDict()
    for p in parts[2:]:
        if ":" in p:
            k, v = p.split(":", 1)
            keys[k] = v
    return parts[0], (parts[1] if len(parts) > 1 else ""), keys


def config_of(name):
    """The run's configuration: its name without the seed."""
    return re.sub(r"/seed:[^/]*", "", name)


def counters(b):
    return {k: v for k, v in b.items()
            if k not in NON_COUNTER_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)}


def mean_spread(vals):
    vals = [v for v in vals if isinstance(v, (int, float)) and math.isfinite(v)]
    if not vals:
        return None, None, 0
    m = statistics.fmean(vals)
    s = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return m, s, len(vals)


def fmt(v):
    if v is None:
        return "—"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.4g}"


def family_table(fam, runs):
    """Rows: one per configuration, mean ± spread over seeds of the key counters."""
    groups = OrderedDict()
    for name, b in runs.items():
        groups.setdefault(config_of(name), []).append(b)
    wanted = KEY_COUNTERS.get(fam, DEFAULT_COUNTERS)
    present = [c for c in wanted if any(c in counters(b) for bs in groups.values() for b in bs)]
    header = ["configuration", "seeds"] + present
    rows = []
    for cfg, bs in groups.items():
        ok = [b for b in bs if not b.get("error_occurred")]
        row = [cfg, str(len(ok))]
        raw = [cfg, len(ok)]
        for c in present:
            m, s, n = mean_spread([counters(b).get(c) for b in ok])
            row.append("—" if m is None else (fmt(m) if n < 2 else f"{fmt(m)} ± {fmt(s)}"))
            raw.append("" if m is None else m)
        rows.append((row, raw))
    return header, rows, present


def write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for _, raw in rows:
            w.writerow(raw)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, _ in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- family figures
def fig_perf(runs, out):
    """GFLOP/s of every PERF entry, GEMMs (the limit) next to the steps."""
    items = [(n, counters(b).get("gflops")) for n, b in runs.items()
             if counters(b).get("gflops") is not None]
    if not items:
        return [], []
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(items) + 1.5))
    names = [n.replace("PERF/", "") for n, _ in items]
    vals = [v for _, v in items]
    colors = ["#888888" if ("gemm/" in n) else "#1f77b4" for n, _ in items]
    ax.barh(range(len(items)), vals, color=colors)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("GFLOP/s (GEMM FLOPs only; grey = raw sgemm/dgemm, the practical limit)")
    ax.set_title("PERF: throughput")
    fig.tight_layout()
    path = os.path.join(out, "perf_gflops.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    verdicts = []
    gemm = {}
    for n, v in items:
        _, model, k = parse_name(n)
        if model == "sgemm":
            gemm[(k.get("m"), k.get("n"), k.get("k"))] = v
    for n, v in items:
        _, model, k = parse_name(n)
        if model == "mlp_step":
            ref = gemm.get((k.get("batch"), k.get("width"), k.get("width")))
            if ref:
                verdicts.append(f"`{n}`: {v:.1f} GFLOP/s = {100 * v / ref:.0f} % of sgemm at its "
                                f"GEMM size ({ref:.1f} GFLOP/s); target ≥ 70 %.")
    return [path], verdicts


def by_init_and_depth(runs, counter, exclude_key=None):
    """{init: {depth: [values over seeds]}} for runs that have `counter` (and not exclude_key)."""
    out = defaultdict(lambda: defaultdict(list))
    for n, b in runs.items():
        if b.get("error_occurred"):
            continue
        _, _, k = parse_name(n)
        if exclude_key and exclude_key in k:
            continue
        v = counters(b).get(counter)
        if v is None or "depth" not in k:
            continue
        out[k.get("init", "?")][int(k["depth"])].append(v)
    return out


def fig_rqb(runs, out):
    """Saxe's figure: steps to target against depth, orthogonal vs Gaussian, seeds as points."""
    data = by_init_and_depth(runs, "steps_to_target", exclude_key="lr")  # best-of-grid runs
    if not data:
        return [], []
    budget = max((counters(b).get("step_budget", 0) for b in runs.values()), default=0)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = {"orthogonal": "#d62728", "gaussian": "#1f77b4"}
    for init, dd in sorted(data.items()):
        depths = sorted(dd)
        means = [statistics.fmean(dd[d]) for d in depths]
        c = colors.get(init, None)
        ax.plot(depths, means, "-o", color=c, label=f"{init} (mean over seeds)")
        for d in depths:
            ax.scatter([d] * len(dd[d]), dd[d], color=c, alpha=0.35, s=14)
    if budget:
        ax.axhline(budget + 1, color="grey", ls=":", lw=1, label="budget + 1 (not reached)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("depth L (weight matrices)")
    ax.set_ylabel("steps to target (best learning rate)")
    ax.set_title("RQB: deep linear MLP on MNIST, full-batch GD")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = os.path.join(out, "rqb_steps_vs_depth.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)

    growth = {}
    for init, dd in data.items():
        depths = sorted(dd)
        if len(depths) >= 2:
            lo, hi = statistics.fmean(dd[depths[0]]), statistics.fmean(dd[depths[-1]])
            growth[init] = (hi / lo if lo > 0 else float("inf"), depths[0], depths[-1])
    verdicts = []
    if "orthogonal" in growth and "gaussian" in growth:
        go, d0, d1 = growth["orthogonal"]
        gg = growth["gaussian"][0]
        if go <= 1.5 and gg >= 2 * go:
            held = "Saxe's claim holds"
        elif gg > go:
            held = "Saxe's claim holds only partly (orthogonal is not flat)" if go > 1.5 else \
                "Saxe's claim holds only partly (Gaussian grows little)"
        else:
            held = "Saxe's claim does not hold here"
        verdicts.append(f"RQB: from depth {d0} to {d1}, orthogonal steps_to_target changes "
                        f"{go:.2f}×, Gaussian {gg:.2f}×: {held}.")
    return [path], verdicts


FAMILY_FIGURES = {"PERF": fig_perf, "RQB": fig_rqb}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    context, runs, problems, trace_dirs = load_inputs(a.inputs)
    by_family = defaultdict(OrderedDict)
    for name, b in runs.items():
        by_family[name.split("/")[0]][name] = b

    md = ["# isobench report", ""]
    md.append(f"- isobench version: `{context.get('isobench_version', '?')}`, profile "
              f"`{context.get('profile', '?')}`, BLAS threads {context.get('blas_threads', '?')}, "
              f"host `{context.get('host_name', '?')}`, {context.get('num_cpus', '?')} CPUs, "
              f"{context.get('date', '')}")
    ds = context.get("datasets") or {}
    if isinstance(ds, dict) and ds:
        for k, v in ds.items():
            md.append(f"- dataset `{k}`: {v}")
    md.append(f"- inputs: {', '.join('`' + i + '`' for i in a.inputs)}; {len(runs)} runs")
    md.append("")
    if problems:
        md += ["## Problems with the inputs", ""] + [f"- {p}" for p in problems] + [""]
    errored = [(n, b.get("error_message", "")) for n, b in runs.items() if b.get("error_occurred")]
    if errored:
        md += ["## Runs that failed", ""] + [f"- `{n}`: {m}" for n, m in errored] + [""]

    families = [f for f in FAMILY_ORDER if f in by_family] + \
               [f for f in by_family if f not in FAMILY_ORDER]
    if not families:
        md += ["No runs in the inputs: nothing to report.", ""]
    for fam in families:
        fr = by_family[fam]
        md += [f"## {FAMILY_TITLE.get(fam, fam)}", ""]
        header, rows, _ = family_table(fam, fr)
        csv_path = os.path.join(a.out, f"{fam.lower()}_table.csv")
        write_csv(csv_path, header, rows)
        figs, verdicts = [], []
        if fam in FAMILY_FIGURES:
            try:
                figs, verdicts = FAMILY_FIGURES[fam](fr, a.out)
            except Exception as e:  # a broken figure must not cost the rest of the report
                md.append(f"(figures failed: {type(e).__name__}: {e})")
                warn(f"{fam} figures failed: {e}")
        for v in verdicts:
            md.append(f"**Verdict:** {v}")
        if verdicts:
            md.append("")
        for p in figs:
            md.append(f"![{fam}]({os.path.basename(p)})")
        if figs:
            md.append("")
        md.append(f"Mean ± standard deviation over seeds ({os.path.basename(csv_path)}):")
        md.append("")
        md.append(md_table(header, rows))
        md.append("")

    with open(os.path.join(a.out, "report.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    print(f"report: {os.path.join(a.out, 'report.md')} ({len(families)} families, {len(runs)} runs)",
          file=sys.stderr)
    return 1 if any("could not be read" in p for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
