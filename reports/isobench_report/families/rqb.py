"""RQB — convergence speed against depth (docs/RESEARCH.md §3 RQB): Saxe et al. 2013's steps to
target against depth, deep linear MLPs, orthogonal vs scaled Gaussian initialization, each at its
best learning rate of the grid. The family module (families/__init__.py: the interface)."""
import math
import statistics
from collections import defaultdict

from ..inputs import counters, ok_runs, parse_name
from ..plotting import INIT_COLORS, depth_axis, plt, save
from .. import claims, stats
from ..verdicts import Verdict, runs_reporting
from . import Family


def by_init_and_depth(runs, counter):
    """{init: {depth: [values over seeds]}} for the best-of-grid runs (no `lr` key); with
    several widths (the paper profile's 1000 and 256) the key is "init, N=width"."""
    out = defaultdict(lambda: defaultdict(list))
    several = len(grid_widths(runs)) > 1
    for n, b in ok_runs(runs).items():
        _, _, k = parse_name(n)
        if "lr" in k or "depth" not in k:
            continue
        v = counters(b).get(counter)
        if v is None:
            continue
        key = k.get("init", "?") + (f", N={k.get('width')}" if several else "")
        out[key][int(k["depth"])].append(v)
    return out


def grid_widths(runs):
    """The widths of the best-of-grid runs (fixed-rate runs aside), smallest first."""
    ws = {parse_name(n)[2].get("width") for n in runs
          if "lr" not in parse_name(n)[2] and "depth" in parse_name(n)[2]}
    return sorted((w for w in ws if w is not None), key=float)


def by_width(runs):
    """[(claim suffix, runs)]: one group when the grid has one width (the claims keep their
    names), else one per width — depth trends are per width, never pooled across widths."""
    ws = grid_widths(runs)
    if len(ws) <= 1:
        return [("", runs)]
    return [(f" (width {w})", {n: b for n, b in runs.items()
                               if parse_name(n)[2].get("width") == w}) for w in ws]


def figures(s):
    """Steps to target against depth per initialization (dots: seeds)."""
    runs, out = s.runs, s.out
    data = by_init_and_depth(runs, "steps_to_target")
    if not data:
        s.notes.append("RQB: no run reports steps_to_target; figure skipped.")
        return []
    budget = max((counters(b).get("step_budget", 0) for b in runs.values()), default=0)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    widths = grid_widths(runs)  # several: the widest solid, the others dashed
    for init, dd in sorted(data.items()):
        depths = sorted(dd)
        means = [statistics.fmean(dd[d]) for d in depths]
        c = INIT_COLORS.get(init.split(",")[0])
        style = "-o" if "N=" not in init or init.endswith(f"N={widths[-1]}") else "--o"
        ax.plot(depths, means, style, color=c, label=f"{init} (mean over seeds)")
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


# ------------------------------------------------------------------------------- claims
# "Flat": |exponent of steps ∝ depth^b| < 0.2 — b = 0.2 is ×1.74 steps over a 16-fold range of
# depth, a fifth of linear growth; Saxe et al.'s orthogonal curves are flat on a log axis.
FLAT_MARGIN = 0.2
FLAT_REASON = ("|b| < 0.2 in steps ∝ depth^b: at most ×1.74 over a 16-fold depth range, a fifth "
               "of linear growth")
SAXE = "Saxe, McClelland & Ganguli 2013"


def depth_series(runs):
    """{init: {seed: {log depth: log restricted steps}}} over the best-of-grid runs."""
    return claims.per_seed_series(
        runs, "steps_to_target",
        lambda k: math.log(int(k["depth"])) if "depth" in k else None,
        lambda k, _: None if "lr" in k else k.get("init"), claims.log_steps)


def claims_of(s):
    """Saxe et al. 2013 as three claims on the per-seed exponent b of steps ∝ depth^b
    (least squares of log restricted steps on log depth, one slope per seed, tested across
    seeds): orthogonal flat (equivalence), Gaussian growing (difference), Gaussian grows more
    than orthogonal (difference, paired by seed). Per width when the grid has several."""
    out = []
    for suffix, runs in by_width(s.runs):
        out += width_claims(runs, s.notes, suffix)
    return out


def width_claims(runs, notes, suffix):
    """The three claims over the runs of one width; `suffix` names the width (or is empty)."""
    series = depth_series(runs)
    depths = {x for by_init in series.values() for by_x in by_init.values() for x in by_x}
    if len(depths) < 3:
        notes.append(f"RQB{suffix}: Saxe's claims are not judged: {len(depths)} depth(s) in "
                     f"the runs, a trend needs at least three.")
        return []
    out = []
    note = claims.censoring_note(runs, lambda k: "lr" not in k)
    metric = "b in steps_to_target ∝ depth^b (per-seed least-squares slope, log–log)"
    for init in ("orthogonal", "gaussian"):
        if init not in series:
            continue
        levels, slopes, left = claims.seed_slopes(series[init])
        extra = f"; {left} seed(s) without every depth left out" if left else ""
        if init == "orthogonal":
            # A run that never reached the target counts at budget + 1 at every depth, which
            # flattens the slope: flatness cannot be shown from censored times.
            cens, _ = claims.censored(runs, lambda k: "lr" not in k and
                                      k.get("init") == "orthogonal")
            if cens:
                extra += (f"; not tested: {cens} orthogonal run(s) never reached the target, "
                          f"and censored times would flatten the slope")
            out.append(stats.Claim(
                family="RQB", claim="orthogonal init: steps to target flat in depth" + suffix,
                kind="equivalence", metric=metric, values=() if cens else slopes,
                margin=FLAT_MARGIN, margin_reason=FLAT_REASON, literature_effect=0.0,
                source=SAXE + " (depth-independent: b = 0)", note=note + extra))
        else:
            out.append(stats.Claim(
                family="RQB",
                claim="scaled Gaussian init: steps to target grow with depth" + suffix,
                kind="difference", metric=metric, values=slopes, direction=+1, source=SAXE,
                note=note + extra))
    if "orthogonal" in series and "gaussian" in series:
        out.append(stats.Claim(
            family="RQB",
            claim="steps grow faster with depth for Gaussian than for orthogonal" + suffix,
            kind="difference", metric="b(Gaussian) − b(orthogonal), paired by seed",
            values=claims.slope_pairs(series["gaussian"], series["orthogonal"]), direction=+1,
            source=SAXE, note=note))
    return out


def verdicts(s):
    """What was measured, without judging it (the claims judge): steps at the shallowest and
    the deepest depth per initialization."""
    data = by_init_and_depth(s.runs, "steps_to_target")
    parts = []
    for init, dd in sorted(data.items()):
        depths = sorted(dd)
        if len(depths) >= 2:
            lo, hi = statistics.fmean(dd[depths[0]]), statistics.fmean(dd[depths[-1]])
            parts.append(f"{init} {lo:.0f} → {hi:.0f} (depth {depths[0]} → {depths[-1]})")
    if not parts:
        return []
    used = tuple(n for n in runs_reporting(s.runs, "steps_to_target")
                 if "lr" not in parse_name(n)[2] and "depth" in parse_name(n)[2])
    return [Verdict(text="RQB mean steps_to_target over seeds at the best rate: " +
                    "; ".join(parts) + ".", runs=used)]


FAMILY = Family(
    name="RQB", order=20, title="RQB — convergence speed against depth (Saxe et al. 2013)",
    counters=["steps_to_target", "lr_best", "converged", "diverged", "step_budget"],
    figures=figures, verdicts=verdicts, claims=claims_of)
