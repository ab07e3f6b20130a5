"""PERF — speed (docs/CONTRACT.md "Benchmark names": PERF names): GFLOP/s of every PERF entry,
raw GEMMs (the practical limit) in grey; the verdict compares each MLP step with sgemm at its
GEMM size (target ≥ 70 %). The family module (families/__init__.py: the interface)."""
from ..inputs import counters, ok_runs, parse_name, time_ms
from ..plotting import plt, save, spans_decades
from ..verdicts import Verdict
from . import Family


def flop_items(runs):
    """[(name, gflops)] of the runs without error that count FLOPs."""
    return [(n, counters(b).get("gflops")) for n, b in ok_runs(runs).items()
            if counters(b).get("gflops") is not None]


def figures(s):
    """GFLOP/s bars (perf_gflops.png) and time per call of the entries without a FLOP count
    (perf_time.png)."""
    runs, out = s.runs, s.out
    items = flop_items(runs)
    if not items:
        s.notes.append("PERF: no run reports gflops; figure skipped.")
        return []
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(items) + 1.5))
    names = [n.replace("PERF/", "") for n, _ in items]
    vals = [v for _, v in items]
    colors = ["#888888" if ("gemm/" in n) else "#1f77b4" for n, _ in items]
    ax.barh(range(len(items)), vals, color=colors)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(names, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel("GFLOP/s (GEMM FLOPs only; grey = raw sgemm/dgemm, the practical limit)")
    ax.set_title("PERF: throughput")
    fig.tight_layout()
    path = save(fig, out, "perf_gflops.png")
    figs = [(path, "Throughput of every PERF entry that counts FLOPs (GEMM FLOPs per second).")]
    timed = [(n, time_ms(b)) for n, b in ok_runs(runs).items()
             if counters(b).get("gflops") is None and time_ms(b) is not None]
    if timed:
        fig, ax = plt.subplots(figsize=(8, 0.3 * len(timed) + 1.5))
        ax.barh(range(len(timed)), [t for _, t in timed], color="#9467bd")
        ax.set_yticks(range(len(timed)))
        ax.set_yticklabels([n.replace("PERF/", "") for n, _ in timed], fontsize=7.5)
        ax.invert_yaxis()
        if spans_decades([t for _, t in timed], 1.0):
            ax.set_xscale("log")
        ax.set_xlabel("wall time per call (ms)")
        ax.set_title("PERF: entries without a FLOP count (time per call)")
        fig.tight_layout()
        figs.append((save(fig, out, "perf_time.png"), "Time per call of the PERF entries "
                     "without a FLOP count (e.g. hard constraints), log scale."))
    return figs


def verdicts(s):
    """An MLP training step against sgemm at its GEMM size (target ≥ 70 %)."""
    items = flop_items(s.runs)
    verdicts = []
    gemm = {}
    for n, v in items:
        _, model, k = parse_name(n)
        if model == "sgemm":
            gemm[(k.get("m"), k.get("n"), k.get("k"))] = v
    steps, used = [], []
    for n, v in items:
        _, model, k = parse_name(n)
        if model == "mlp_step":
            ref = gemm.get((k.get("batch"), k.get("width"), k.get("width")))
            if ref:
                used.append(n)
                steps.append((100 * v / ref, f"depth {k.get('depth')} width {k.get('width')} "
                                             f"batch {k.get('batch')}"))
    if steps:
        ok = [x for x in steps if x[0] >= 70]
        text = (f"PERF: an MLP training step reaches ≥ 70 % of sgemm at its GEMM size in "
                f"{len(ok)} of {len(steps)} shapes (" +
                ", ".join(f"{lab}: {p:.0f} %" for p, lab in steps) + ").")
        verdicts.append(Verdict(text=text, claim="an MLP training step reaches ≥ 70 % of sgemm "
                                                 "at its GEMM size", estimate=len(ok) / len(steps),
                                runs=tuple(used)))
    return verdicts


def no_method_comparison(runs):
    """PERF measures speed: user methods' costs are in its own table, not compared on accuracy."""
    return None


FAMILY = Family(
    name="PERF", order=90, title="PERF — speed",
    counters=["gflops", "time_ms", "epoch_seconds"],
    figures=figures, verdicts=verdicts, method_runs=no_method_comparison)
