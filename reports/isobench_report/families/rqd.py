"""RQD — can a hard orthogonality constraint hurt? (docs/RESEARCH.md §3 RQD): RNNs whose
recurrent kernel is kept orthogonal by a hard constraint (QR, polar, Cayley, a singular-value
margin) or a penalty, against none. Figures: accuracy against steps, accuracy and cost per
constraint, the kernel's singular values per epoch, accuracy against depth; verdicts: Vorontsov
et al. 2017's finding and the ranking. The family module (families/__init__.py: the interface).
"""
from .. import claims, stats
from ..inputs import ok_runs, parse_name
from ..seed_study import fig_kernel_sv
from ..tables import fmt
from ..training import (ACC_COUNTERS, fig_bars, fig_vs_depth, generic_figures, generic_verdicts,
                        keep_drawn, mean_by, pick_counter, safe)
from ..verdicts import Verdict, runs_reporting
from . import Family


def rqd_kind(k):
    """RQD's treatment of the recurrent kernel: a hard constraint, a penalty, or none."""
    c = k.get("constraint", "none")
    if c == "margin":
        return f"margin {k.get('margin', '?')}"
    return c if c != "none" else ("none" if k.get("reg", "none") == "none" else
                                  f"penalty {k.get('reg')}")


def rqd_verdict(runs, jobs=1):
    """Mean accuracy per constraint, with the epoch times relative to none when the runs ran
    alone (jobs == 1)."""
    acc = pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        return None
    kind = rqd_kind
    st = mean_by(runs, acc, kind)
    if not st:
        return None
    text = ", ".join(f"{k} {fmt(m)}" for k, (m, _, _) in st.items())
    t = mean_by(runs, "epoch_seconds", kind) if jobs == 1 else {}
    cost = ""
    if jobs != 1:
        cost = (f"; epoch times are not compared (the runs ran {jobs} at a time: --jobs {jobs}; "
                f"see PERF)")
    elif "none" in t and t["none"][0]:
        base = t["none"][0]
        cost = "; epoch time relative to none: " + ", ".join(
            f"{k} {m / base:.2f}×" for k, (m, _, _) in t.items() if k != "none")
    return f"RQD {acc} by constraint: {text}{cost}."


# ------------------------------------------------------------------------------- claims
VORONTSOV = "Vorontsov et al. 2017"
HARD = ("qr", "cayley", "polar", "margin 0")


def base(k, _model):
    """Pairs: the same task, data, model and optimizer, the same seed (shared initial weights
    and batch order); the treatment (constraint, margin, penalty) differs."""
    return claims.drop(k, "reg", "norm", "lambda", "constraint", "margin")


def margin_rank(runs):
    """{margin value: its rank among the margins of the runs} (0 = the smallest)."""
    ms = sorted({float(parse_name(n)[2]["margin"]) for n in runs
                 if parse_name(n)[2].get("constraint") == "margin"
                 and is_number_text(parse_name(n)[2].get("margin"))})
    return {m: i for i, m in enumerate(ms)}


def is_number_text(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def claims_of(s):
    """Vorontsov et al. 2017: each pure hard constraint below no constraint (difference, paired
    by seed), and accuracy rising with the margin (per-seed slope over the margin grid's ranks,
    tested across seeds; needs three margins)."""
    acc = pick_counter(s.runs, ACC_COUNTERS)
    if acc is None:
        return []
    tab = claims.table(s.runs, acc, lambda k, _: rqd_kind(k), base)
    out = []
    kinds = sorted({a for arms in tab.values() for a in arms})
    for hard in [k for k in HARD if k in kinds]:
        diffs, lone, cells = claims.paired(tab, "none", hard)
        out.append(stats.Claim(
            family="RQD", claim=f"the pure hard constraint ({hard}) is less accurate than none",
            kind="difference", metric=f"{acc}, none − {hard}, paired by seed", values=diffs,
            direction=+1, source=VORONTSOV,
            note="; ".join(x for x in (claims.cells_note(cells, "tasks"),
                                       claims.pairing_note(lone)) if x)))
    rank = margin_rank(ok_runs(s.runs))
    if len(rank) >= 3:
        series = claims.per_seed_series(
            s.runs, acc,
            lambda k: rank.get(float(k["margin"])) if k.get("constraint") == "margin" else None,
            lambda k, _: "margin")
        levels, slopes, left = claims.seed_slopes(series.get("margin", {}))
        grid = ", ".join(f"{m:g}" for m in sorted(rank))
        out.append(stats.Claim(
            family="RQD", claim="accuracy rises with the spectral margin",
            kind="difference",
            metric=f"{acc} per step of the margin grid ({grid}), per-seed least-squares slope",
            values=slopes, direction=+1, source=VORONTSOV,
            note=f"{left} seed(s) without every margin left out" if left else ""))
    elif rank:
        s.notes.append(f"RQD: the margin trend is not judged: {len(rank)} margin(s) in the runs, "
                       f"a trend needs at least three.")
    return out


def figures(s):
    runs, inp, out, notes = s.runs, s.inp, s.out, s.notes
    figs = generic_figures(s)
    figs += keep_drawn([(fig_bars("RQD", runs, out, notes, rqd_kind, "rqd_cost.png",
                                  "constraint or penalty", jobs=inp.jobs),
                         "Accuracy and cost (epoch/training wall time) per constraint or "
                         "penalty.")])
    # Its notes are dropped (as before issue 23): RQD's runs need not trace the kernel.
    ksv = fig_kernel_sv("RQD", runs, inp, out, [], "rqd_kernel_sv.png")
    if ksv:
        figs.append((ksv, "Recurrent-kernel singular values per epoch under each constraint "
                          "or penalty (mean ± std band, min, max; averaged over seeds)."))
    p = fig_vs_depth("RQD", runs, out, notes, "rqd_acc_vs_depth.png")
    if p:
        figs.append((p, "Accuracy against depth per constraint."))
    return figs


def verdicts(s):
    """Accuracy and cost per constraint (what was measured), then the ranking."""
    text = safe(lambda: rqd_verdict(s.runs, s.inp.jobs), s.notes, "RQD observation")
    used = runs_reporting(s.runs, pick_counter(s.runs, ACC_COUNTERS) or "", "epoch_seconds")
    return ([Verdict(text=text, runs=used)] if text else []) + generic_verdicts(s)


FAMILY = Family(
    name="RQD", order=40, title="RQD — can a hard orthogonality constraint hurt?",
    counters=["best_val_acc", "test_acc", "steps_to_target", "epoch_seconds", "train_seconds",
              "ortho_err", "kernel_sv_mean", "kernel_sv_std", "kernel_sv_min", "kernel_sv_max",
              "diverged"],
    figures=figures, verdicts=verdicts, claims=claims_of)
