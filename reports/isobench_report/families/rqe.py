"""RQE — when does a soft orthogonality penalty pay? (docs/RESEARCH.md §3 RQE): MLPs trained with
each penalty (SO, DSO, MC, SRIP, …) at several λ against none, over depth and initialization.
Figures: accuracy against steps, accuracy and cost per penalty, each penalty's gain over none
against depth; verdicts: the best penalty's gain per depth and initialization (Bansal et al.
2018), and the ranking. The family module (families/__init__.py: the interface).
"""
import math
from collections import OrderedDict

from ..inputs import parse_name
from ..training import (ACC_COUNTERS, acc_by_config, fig_bars, fig_vs_depth, generic_figures,
                        generic_verdicts, keep_drawn, natural, pick_counter, claim_verdict)
from . import Family


def rqe_verdict(runs):
    """Bansal et al. 2018 / docs/RESEARCH.md §3 RQE: does a penalty pay, and more so with depth?
    The best penalty configuration (reg, λ, norm) against reg:none at each depth and
    initialization."""
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
        se = math.sqrt(sd * sd / max(n, 1) + bs * bs / max(bn, 1))
        # Two seeds give no usable standard error: call nothing "clear" below three a side.
        clear = se > 0 and gain > 2 * se and n >= 3 and bn >= 3
        parts.append(f"L={depth} {init}: {label} {gain:+.3f}" + (" (clear)" if clear else ""))
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
    return (f"RQE: gain of the best penalty over none ({acc}, mean over seeds; clear = more than "
            f"2 standard errors with ≥ 3 seeds a side) — " + "; ".join(parts) + "." +
            (f" Against depth: {', '.join(grows)}." if grows else ""))


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
    """The best penalty's gain over none per depth and initialization, then the ranking."""
    return claim_verdict(s, rqe_verdict, "a soft orthogonality penalty pays, more so with depth "
                         "(Bansal et al. 2018)") + generic_verdicts(s)


FAMILY = Family(
    name="RQE", order=50, title="RQE — when does a soft orthogonality penalty pay?",
    counters=["best_val_acc", "test_acc", "steps_to_target", "ortho_err", "train_seconds",
              "diverged"],
    figures=figures, verdicts=verdicts)
