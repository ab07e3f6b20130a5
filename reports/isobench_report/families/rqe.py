"""RQE — when does a soft orthogonality penalty pay? (docs/RESEARCH.md §3 RQE): MLPs trained with
each penalty (SO, DSO, MC, SRIP, …) at several λ against none, over depth and initialization.
Figures: accuracy against steps, accuracy and cost per penalty, each penalty's gain over none
against depth; verdicts: the best penalty's gain per depth and initialization (Bansal et al.
2018), and the ranking. The family module (families/__init__.py: the interface).
"""
import math
from collections import OrderedDict, defaultdict

from .. import claims, stats
from ..inputs import parse_name
from ..training import (ACC_COUNTERS, acc_by_config, fig_bars, fig_vs_depth, generic_figures,
                        generic_verdicts, keep_drawn, natural, pick_counter, safe)
from ..verdicts import Verdict, runs_reporting
from . import Family


def rqe_verdict(runs):
    """The best penalty configuration (reg, λ, norm) against reg:none at each depth and
    initialization: what was measured (the claims test the pre-specified mean gain)."""
    acc = pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        return None
    stats = acc_by_config(runs, acc)
    cells = OrderedDict()  # (depth, init) → {"none": stats, label: stats}
    for cfg, st in stats.items():
        k = parse_name(cfg)[2]
        reg = k.get("reg", "none")
        label = reg if reg == "none" else \
            " ".join(x for x in (reg, k.get("norm"), k.get("lambda") and "λ=" + k["lambda"]) if x)
        cells.setdefault((k.get("depth", "?"), k.get("init", "?")), {})[label] = st
    parts, by_init = [], OrderedDict()
    for (depth, init) in sorted(cells, key=lambda c: (natural(c[1]), natural(c[0]))):
        c = cells[(depth, init)]
        if "none" not in c or len(c) < 2:
            continue
        bm, bs, bn = c["none"]
        label, (m, sd, n) = max(((lab, v) for lab, v in c.items() if lab != "none"),
                                key=lambda kv: kv[1][0])
        gain = m - bm
        parts.append(f"L={depth} {init}: {label} {gain:+.3f}")
        by_init.setdefault(init, []).append((float(depth) if depth != "?" else 0, gain))
    if not parts:
        return None
    trend = []
    for init, gs in by_init.items():
        if len(gs) >= 2:
            gs.sort()
            trend.append(f"{init} {gs[0][1]:+.3f} at L={gs[0][0]:g} → {gs[-1][1]:+.3f} at "
                         f"L={gs[-1][0]:g}")
    grows = [t for t in trend]
    return (f"RQE: gain of the best penalty over none ({acc}, mean over seeds; the best picked "
            f"after the fact, so not a test) — " + "; ".join(parts) + "." +
            (f" Against depth: {', '.join(grows)}." if grows else ""))


# ------------------------------------------------------------------------------- claims
BANSAL = "Bansal, Chen & Wang 2018"
# The penalty forms of the claim: the literature's own (Bansal et al.); registered plug-ins
# (e.g. brock_offdiag) are judged in their "against the baselines" section instead.
BANSAL_FORMS = ("so", "dso", "mc", "srip")


def penalty_gains(runs, acc):
    """{init: {seed: {depth: mean over the penalty configurations of acc(penalty) − acc(none)}}}
    — one pre-specified summary per (init, depth, seed), not the best penalty (picking the best
    after the fact would bias the effect upwards). Only the configurations (reg, norm, λ)
    present at every depth of the init enter the mean, so each depth averages the same set."""
    def arm(k, _):
        if k.get("constraint", "none") != "none":
            return None  # a user constraint's runs are not the untreated baseline
        if k.get("reg", "none") == "none":
            return "none"
        return (claims.drop(k, "init", "depth", "act", "dataset", "width", "opt", "lr")
                if k.get("reg") in BANSAL_FORMS else None)
    tab = claims.table(runs, acc, arm,
                       lambda k, _: (k.get("init"), int(k["depth"])) if "depth" in k else None)
    by_init = defaultdict(dict)
    for (init, depth), arms in tab.items():
        by_init[init][depth] = arms
    out = {}
    for init, by_depth in by_init.items():
        forms = set.intersection(*[{a for a in arms if a != "none"}
                                   for arms in by_depth.values()])
        series = defaultdict(dict)
        for depth, arms in by_depth.items():
            for seed, none in arms.get("none", {}).items():
                gains = [arms[f][seed] - none for f in forms if seed in arms[f]]
                if forms and len(gains) == len(forms):
                    series[seed][depth] = sum(gains) / len(gains)
        out[init] = series
    return out


def claims_of(s):
    """Bansal et al. 2018 per initialization: the penalties' mean gain over none at the deepest
    depth (difference, paired by seed), and the gain rising with depth (per-seed slope on
    log depth; needs three depths)."""
    acc = pick_counter(s.runs, ACC_COUNTERS)
    if acc is None:
        return []
    out = []
    for init, series in sorted(penalty_gains(s.runs, acc).items()):
        depths = sorted({d for by_d in series.values() for d in by_d})
        if not depths:
            continue
        deepest = depths[-1]
        out.append(stats.Claim(
            family="RQE", claim=f"{init} init: soft orthogonality penalties raise accuracy at "
                                f"depth {deepest}",
            kind="difference", metric=f"{acc}, mean over penalty forms (penalty − none), paired "
                                      f"by seed", values=tuple(by_d[deepest] for by_d in
                                                               series.values() if deepest in by_d),
            direction=+1, source=BANSAL))
        if len(depths) >= 3:
            levels_series = {seed: {math.log(d): g for d, g in by_d.items()}
                             for seed, by_d in series.items()}
            _, slopes, left = claims.seed_slopes(levels_series)
            out.append(stats.Claim(
                family="RQE", claim=f"{init} init: the penalties' gain grows with depth",
                kind="difference", metric=f"slope of the mean penalty gain in {acc} on "
                                          f"log depth, per seed",
                values=slopes, direction=+1, source=BANSAL,
                note=f"{left} seed(s) without every depth left out" if left else ""))
        else:
            s.notes.append(f"RQE: 'the gain grows with depth' is not judged for {init}: "
                           f"{len(depths)} depth(s), a trend needs at least three.")
    return out


def figures(s):
    runs, out, notes = s.runs, s.out, s.notes
    figs = generic_figures(s)
    figs += keep_drawn([(fig_bars("RQE", runs, out, notes, "reg", "rqe_cost.png",
                                  jobs=s.inp.jobs),
                         "Accuracy and cost (training wall time) per penalty.")])
    p = fig_vs_depth("RQE", runs, out, notes, "rqe_acc_vs_depth.png")
    if p:
        figs.append((p, "Each penalty's gain in accuracy over no penalty against depth: "
                        "where orthogonality pays."))
    return figs


def verdicts(s):
    """The best penalty's gain over none per depth and initialization (what was measured),
    then the ranking."""
    text = safe(lambda: rqe_verdict(s.runs), s.notes, "RQE observation")
    used = runs_reporting(s.runs, pick_counter(s.runs, ACC_COUNTERS) or "")
    return ([Verdict(text=text, runs=used)] if text else []) + generic_verdicts(s)


FAMILY = Family(
    name="RQE", order=50, title="RQE — when does a soft orthogonality penalty pay?",
    counters=["best_val_acc", "test_acc", "steps_to_target", "ortho_err", "train_seconds",
              "diverged"],
    figures=figures, verdicts=verdicts, claims=claims_of)
