"""RQD — can a hard orthogonality constraint hurt? (docs/RESEARCH.md §3 RQD): RNNs whose
recurrent kernel is kept orthogonal by a hard constraint (QR, polar, Cayley, a singular-value
margin) or a penalty, against none. Figures: accuracy against steps, accuracy and cost per
constraint, the kernel's singular values per epoch, accuracy against depth; verdicts: Vorontsov
et al. 2017's finding and the ranking. The family module (families/__init__.py: the interface).
"""
from ..seed_study import fig_kernel_sv
from ..tables import fmt
from ..training import (ACC_COUNTERS, fig_bars, fig_vs_depth, generic_figures, generic_verdicts,
                        keep_drawn, mean_by, pick_counter, claim_verdict)
from . import Family


def rqd_kind(k):
    """RQD's treatment of the recurrent kernel: a hard constraint, a penalty, or none."""
    c = k.get("constraint", "none")
    if c == "margin":
        return f"margin {k.get('margin', '?')}"
    return c if c != "none" else ("none" if k.get("reg", "none") == "none" else
                                  f"penalty {k.get('reg')}")


def rqd_verdict(runs, jobs=1):
    """Vorontsov et al. 2017: the pure hard constraint (margin 0) is worse than a margin; with
    the epoch times relative to none when the runs ran alone (jobs == 1)."""
    acc = pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        return None
    kind = rqd_kind
    st = mean_by(runs, acc, kind)
    if not st:
        return None
    text = ", ".join(f"{k} {fmt(m)}" for k, (m, _, _) in st.items())
    hard = [st[k][0] for k in st if k in ("margin 0", "qr", "cayley", "polar")]
    soft = [st[k][0] for k in st if (k.startswith("margin") and k != "margin 0") or k == "none"]
    verdict = ""
    if hard and soft:
        d = max(soft) - min(hard)
        verdict = (f"; the worst pure hard constraint is {fmt(d)} below the best margin/none — "
                   + ("Vorontsov's finding (hard constraints hurt) holds" if d > 0.005 else
                      "no clear harm from a hard constraint here"))
    t = mean_by(runs, "epoch_seconds", kind) if jobs == 1 else {}
    cost = ""
    if jobs != 1:
        cost = (f"; epoch times are not compared (the runs ran {jobs} at a time: --jobs {jobs}; "
                f"see PERF)")
    elif "none" in t and t["none"][0]:
        base = t["none"][0]
        cost = "; epoch time relative to none: " + ", ".join(
            f"{k} {m / base:.2f}×" for k, (m, _, _) in t.items() if k != "none")
    return f"RQD {acc} by constraint: {text}{verdict}{cost}."


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
    """Vorontsov's finding first, then the ranking of configurations."""
    return claim_verdict(s, lambda runs: rqd_verdict(runs, s.inp.jobs),
                         "a pure hard orthogonality constraint is worse than a margin or none "
                         "(Vorontsov et al. 2017)") + generic_verdicts(s)


FAMILY = Family(
    name="RQD", order=40, title="RQD — can a hard orthogonality constraint hurt?",
    counters=["best_val_acc", "test_acc", "steps_to_target", "epoch_seconds", "train_seconds",
              "ortho_err", "kernel_sv_mean", "kernel_sv_std", "kernel_sv_min", "kernel_sv_max",
              "diverged"],
    figures=figures, verdicts=verdicts)
