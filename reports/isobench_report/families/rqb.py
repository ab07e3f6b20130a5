"""RQB — convergence speed against depth (docs/RESEARCH.md §3 RQB): Saxe et al. 2013's steps to
target against depth, deep linear MLPs, orthogonal vs scaled Gaussian initialization, each at its
best learning rate of the grid. The family module (families/__init__.py: the interface)."""
import statistics
from collections import defaultdict

from ..inputs import counters, ok_runs, parse_name
from ..plotting import INIT_COLORS, depth_axis, plt, save
from ..verdicts import Verdict
from . import Family


def by_init_and_depth(runs, counter):
    """{init: {depth: [values over seeds]}} for the best-of-grid runs (no `lr` key)."""
    out = defaultdict(lambda: defaultdict(list))
    for n, b in ok_runs(runs).items():
        _, _, k = parse_name(n)
        if "lr" in k or "depth" not in k:
            continue
        v = counters(b).get(counter)
        if v is None:
            continue
        out[k.get("init", "?")][int(k["depth"])].append(v)
    return out


def figures(s):
    """Steps to target against depth per initialization (dots: seeds)."""
    runs, out = s.runs, s.out
    data = by_init_and_depth(runs, "steps_to_target")
    if not data:
        s.notes.append("RQB: no run reports steps_to_target; figure skipped.")
        return []
    budget = max((counters(b).get("step_budget", 0) for b in runs.values()), default=0)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for init, dd in sorted(data.items()):
        depths = sorted(dd)
        means = [statistics.fmean(dd[d]) for d in depths]
        c = INIT_COLORS.get(init)
        ax.plot(depths, means, "-o", color=c, label=f"{init} (mean over seeds)")
        for d in depths:
            ax.scatter([d] * len(dd[d]), dd[d], color=c, alpha=0.35, s=14)
    if budget:
        ax.axhline(budget + 1, color="grey", ls=":", lw=1, label="budget + 1 (not reached)")
    depth_axis(ax, [d for dd in data.values() for d in dd])
    ax.set_yscale("log")
    ax.set_ylabel("steps to target (best learning rate)")
    ax.set_title("RQB: deep linear MLP on MNIST, full-batch GD (dots: seeds)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = save(fig, out, "rqb_steps_vs_depth.png")
    return [(path, "Steps to the target loss against depth, each point at its best learning "
                   "rate (Saxe et al. 2013: flat for orthogonal, growing for Gaussian).")]


def verdicts(s):
    """Saxe et al. 2013: steps_to_target flat in depth for orthogonal, growing for Gaussian."""
    data = by_init_and_depth(s.runs, "steps_to_target")
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
        used = tuple(n for n, b in ok_runs(s.runs).items() if "lr" not in parse_name(n)[2]
                     and "depth" in parse_name(n)[2] and "steps_to_target" in counters(b))
        verdicts.append(Verdict(
            text=f"RQB: from depth {d0} to {d1}, orthogonal steps_to_target changes "
                 f"{go:.2f}×, Gaussian {gg:.2f}×: {held}.",
            claim="steps to target flat in depth for orthogonal, growing for Gaussian "
                  "(Saxe et al. 2013)", estimate=gg / go if go else None, runs=used))
    return verdicts


FAMILY = Family(
    name="RQB", order=20, title="RQB — convergence speed against depth (Saxe et al. 2013)",
    counters=["steps_to_target", "lr_best", "converged", "diverged", "step_budget"],
    figures=figures, verdicts=verdicts)
