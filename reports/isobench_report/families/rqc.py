"""RQC — accuracy with and without dynamical isometry (docs/RESEARCH.md §3 RQC): deep tanh and
ReLU MLPs, orthogonal and Gaussian initialization. Figures: accuracy against
steps, accuracy against the Jacobian's sv2_var at initialization; verdicts: Pennington et al.
2017's ordering of steps to target, and the ranking of configurations. The family module
(families/__init__.py: the interface).
"""
from collections import OrderedDict

from ..inputs import (counters, groups_by_config, mean_spread, ok_runs, parse_name,
                      short_label, varying_keys)
from ..plotting import colors, plt, save
from ..tables import fmt
from .. import claims, stats
from ..training import generic_figures, generic_verdicts, mean_by, pick_counter, safe
from ..verdicts import Verdict, runs_reporting
from . import Family


def rqc_verdict(runs):
    """Mean steps_to_target per activation/initialization, fastest first."""
    c = "steps_to_target" if pick_counter(runs, ["steps_to_target"]) else None
    if c is None:
        return None
    st = mean_by(runs, c, lambda k: f"{k.get('act', '?')}/{k.get('init', '?')}"
                 if "act" in k else None)
    if len(st) < 2:
        return None
    order = sorted(st.items(), key=lambda kv: kv[1][0])
    text = ", ".join(f"{k} {fmt(m)}" for k, (m, _, _) in order)
    return f"RQC mean steps_to_target over datasets/optimizers/seeds: {text}."


def fig_acc_vs_isometry(fam, runs, out, notes):
    """Accuracy after the budget against the Jacobian's sv2_var at initialization (how far from
    dynamical isometry the network started), a point per configuration (mean ± std over seeds)."""
    runs = ok_runs(runs)
    acc = pick_counter(runs, ["final_acc", "test_acc", "best_val_acc"])
    if acc is None or pick_counter(runs, ["sv2_var"]) is None:
        return None
    groups = groups_by_config(runs)
    keys = varying_keys(list(groups))
    fig, ax = plt.subplots(figsize=(9.6, 4.8))
    xs = []
    datasets = list(OrderedDict.fromkeys(parse_name(c)[2].get("dataset", "") for c in groups))
    marker = dict(zip(datasets, "osD^vP*X"))
    for col, (cfg, items) in zip(colors(len(groups)), groups.items()):
        xm, xsd, _ = mean_spread([counters(b).get("sv2_var") for _, b in items])
        ym, ysd, n = mean_spread([counters(b).get(acc) for _, b in items])
        if xm is None or ym is None or xm <= 0:
            continue
        xs.append(xm)
        ax.errorbar([xm], [ym], yerr=[ysd], fmt=marker.get(parse_name(cfg)[2].get("dataset", ""),
                                                           "o"),
                    color=col, capsize=2, ms=7, alpha=0.85,
                    label=f"{short_label(cfg, keys)} (n={n})")
    if not xs:
        plt.close(fig)
        return None
    ax.set_xscale("log")
    ax.set_xlabel("variance of JJᵀ's eigenvalues at initialization (sv2_var; 0 = isometry)")
    ax.set_ylabel(f"{acc} (fraction)")
    ax.set_title(f"{fam}: accuracy against distance from dynamical isometry at init")
    ax.legend(fontsize=7.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return save(fig, out, f"{fam.lower()}_acc_vs_isometry.png")


def figures(s):
    figs = generic_figures(s)
    p = fig_acc_vs_isometry("RQC", s.runs, s.out, s.notes)
    if p:
        figs.append((p, "Accuracy after the budget against sv2_var at initialization: does "
                        "starting closer to isometry train better?"))
    return figs


# ------------------------------------------------------------------------------- claims
PENNINGTON = "Pennington, Schoenholz & Ganguli 2017"
# "At least as accurate": within one point of accuracy (the regression check's tolerance).
ACC_MARGIN = 0.01
ACC_REASON = "one point of accuracy: the regression check's tolerance (reports/regress.py)"


def arm(k, _model):
    return f"{k['act']}/{k['init']}" if "act" in k and "init" in k else None


def base(k, _model):
    """Pairs: the same data set, optimizer, depth and width, the same seed (they share the
    batch order)."""
    return claims.drop(k, "act", "init", "sw2", "sb2")


def claims_of(s):
    """Pennington et al. 2017's ordering on log steps_to_target (restricted at budget + 1),
    paired by (data set, optimizer, seed), and orthogonal tanh at least as accurate."""
    steps = claims.table(s.runs, "steps_to_target", arm, base, claims.log_steps)
    note = claims.censoring_note(s.runs)
    metric = "log steps_to_target ({a}) − log steps_to_target ({b}), per seed"
    out = []
    for a, b, text in (
            ("tanh/gaussian", "tanh/orthogonal",
             "orthogonal tanh (isometric) reaches the target faster than Gaussian tanh"),
            ("relu/gaussian", "tanh/gaussian", "ReLU (Gaussian) is slower than Gaussian tanh"),
            ("relu/orthogonal", "tanh/gaussian",
             "ReLU (orthogonal) is slower than Gaussian tanh")):
        diffs, lone, cells = claims.paired(steps, a, b)
        if not diffs and not lone:
            continue
        out.append(stats.Claim(
            family="RQC", claim=text, kind="difference", metric=metric.format(a=a, b=b),
            values=diffs, direction=+1, source=PENNINGTON,
            note="; ".join(x for x in (claims.cells_note(cells, "data set × optimizer cells"),
                                       note, claims.pairing_note(lone)) if x)))
    acc = pick_counter(s.runs, ["test_acc", "final_acc", "best_val_acc"])
    if acc:
        diffs, lone, cells = claims.paired(claims.table(s.runs, acc, arm, base),
                                           "tanh/orthogonal", "tanh/gaussian")
        if diffs or lone:
            out.append(stats.Claim(
                family="RQC", claim="orthogonal tanh is at least as accurate as Gaussian tanh",
                kind="non-inferiority", metric=f"{acc}, orthogonal − Gaussian tanh, per seed",
                values=diffs, direction=+1, margin=ACC_MARGIN, margin_reason=ACC_REASON,
                source=PENNINGTON,
                note="; ".join(x for x in (claims.cells_note(cells, "data set × optimizer cells"),
                                           claims.pairing_note(lone)) if x)))
    return out


def verdicts(s):
    """Mean steps per activation/initialization (what was measured), then the ranking."""
    text = safe(lambda: rqc_verdict(s.runs), s.notes, "RQC observation")
    used = tuple(n for n in runs_reporting(s.runs, "steps_to_target") if "act" in parse_name(n)[2])
    return ([Verdict(text=text, runs=used)] if text else []) + generic_verdicts(s)


FAMILY = Family(
    name="RQC", order=30, title="RQC — accuracy with and without dynamical isometry",
    counters=["final_acc", "test_acc", "best_val_acc", "steps_to_target", "converged",
              "diverged", "sv2_var", "grad_norm_ratio", "train_seconds"],
    figures=figures, verdicts=verdicts, claims=claims_of)
