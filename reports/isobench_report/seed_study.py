"""Shared code of the seed study's families, SEED (row-MNIST/copy/adding RNNs) and SENT (an
LSTM on sentences): Figure 7 (the recurrent kernel's singular values per epoch; RQD draws it
too), Figure 8 (validation accuracy per epoch) and the study's claims as verdicts
(gain-adjusted beats the plain penalty; orthogonal init beats Glorot). Source: docs/RESEARCH.md
§3 (SEED, SENT).

Issue 21 adds the distance from dynamical isometry of the Jacobian through time during training
(isometry_training.py: figures, claims, an observation), drawn wherever the runs carry it.

Why shared: issue 23 (the report by family) — SEED and SENT draw and judge alike; their family
modules (families/seed.py, families/sent.py) differ in name, title and nothing else here.
"""
import re
import textwrap
from collections import OrderedDict

import numpy as np
from matplotlib.ticker import MaxNLocator

from .inputs import (config_of, groups_by_config, is_number, ok_runs, short_label,
                     varying_keys)
from .plotting import colors, plot_band, save, subplots_grid, tight
from . import claims, isometry_training, stats
from .training import keep_drawn, pick_counter, pick_field, ranking_verdict, safe, split_panels

SV_FIELDS = ("kernel_sv_mean", "kernel_sv_std", "kernel_sv_min", "kernel_sv_max")


def epoch_series(inp, name, fields):
    """{field: (epochs, values)} from a run's trace lines that carry an epoch."""
    tr = inp.trace(name) or []
    out = {}
    for f in fields:
        pts = sorted((r["epoch"], r[f]) for r in tr if is_number(r.get("epoch"))
                     and is_number(r.get(f)))
        if pts:
            # One value per epoch (the last evaluation of that epoch).
            d = OrderedDict()
            for e, v in pts:
                d[e] = v
            out[f] = (list(d), list(d.values()))
    return out


def fig_kernel_sv(fam, runs, inp, out, notes, filename=None, subtitle=""):
    """The seed study's Figure 7: per configuration, the recurrent kernel's singular values per
    epoch — mean ± std band, min and max (each averaged over seeds)."""
    groups = groups_by_config(ok_runs(runs))
    data = OrderedDict()
    for cfg, items in groups.items():
        per = [epoch_series(inp, n, SV_FIELDS) for n, _ in items]
        per = [p for p in per if "kernel_sv_mean" in p]
        if per:
            data[cfg] = per
    if not data:
        notes.append(f"{fam}: no trace has kernel_sv_mean per epoch; Figure 7 is skipped"
                     + (f" for {subtitle}" if subtitle else "") + ".")
        return None
    keys = varying_keys(list(data))
    fig, axes = subplots_grid(len(data), ncols=3, panel=(3.6, 2.8), sharey=True)
    for ax, (cfg, per) in zip(axes, data.items()):
        def avg(field):
            curves = [p[field] for p in per if field in p]
            if not curves:
                return None
            es = sorted(set().union(*[c[0] for c in curves]))
            vals = [np.mean([dict(zip(*c)).get(e, np.nan) for c in curves if e in c[0]])
                    for e in es]
            return np.array(es, float), np.array(vals, float)
        m, s, lo, hi = (avg(f) for f in SV_FIELDS)
        ax.plot(m[0], m[1], color="#d62728", lw=1.5, label="mean")
        if s is not None and len(s[0]) == len(m[0]):
            ax.fill_between(m[0], m[1] - s[1], m[1] + s[1], color="#d62728", alpha=0.2, lw=0,
                            label="mean ± std")
        if lo is not None:
            ax.plot(lo[0], lo[1], color="#1f77b4", ls="--", lw=1, label="min")
        if hi is not None:
            ax.plot(hi[0], hi[1], color="#2ca02c", ls="--", lw=1, label="max")
        ax.axhline(1.0, color="grey", lw=0.7, ls=":")
        ax.set_title(textwrap.fill(short_label(cfg, keys) + f" ({len(per)} seeds)", 42),
                     fontsize=7.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("singular value of\nthe recurrent kernel")
    axes[0].legend(fontsize=7, loc="upper left")
    fig7 = " (the seed study's Figure 7)" if fam in ("SEED", "SENT") else ""
    fig.suptitle(f"{fam}{' ' + subtitle if subtitle else ''}: recurrent-kernel singular values "
                 f"per epoch{fig7};\naveraged over seeds; epoch 0 = initialization",
                 fontsize=10)
    tight(fig)
    return save(fig, out, filename or f"{fam.lower()}_fig7_kernel_sv.png")


def fig_val_acc_epochs(fam, runs, inp, out, notes):
    """The seed study's Figure 8: validation accuracy per epoch per configuration, seed bands."""
    groups = groups_by_config(ok_runs(runs))
    field = pick_field(inp, [n for items in groups.values() for n, _ in items],
                       ["val_acc", "train_acc"])
    if field is None:
        notes.append(f"{fam}: no trace has val_acc per epoch; Figure 8 is skipped.")
        return None
    if field != "val_acc":
        notes.append(f"{fam}: no trace has val_acc; Figure 8 shows {field} instead.")
    # One panel per dataset/task (and per gain when a panel would hold more than 12 lines).
    panels = split_panels(list(groups), ["task", "dataset", "model", "gain"], 12)
    many = max(len(v) for v in panels.values()) > 6  # legend beside the panel, one per row
    fig, axes = subplots_grid(len(panels), ncols=1 if many else min(2, len(panels)),
                              panel=(11.0, 4.2) if many else (7.0, 4.4), sharey=True)
    for ax, (title, cfgs) in zip(axes, panels.items()):
        keys = varying_keys(cfgs)
        for col, cfg in zip(colors(len(cfgs)), cfgs):
            curves = []
            for n, _ in groups[cfg]:
                c = epoch_series(inp, n, [field]).get(field)
                if c:
                    e, v = c
                    keep = [i for i, x in enumerate(e) if x > 0]  # epoch 0: the untrained net
                    if keep:
                        curves.append(([e[i] for i in keep], [v[i] for i in keep]))
            plot_band(ax, curves, col, short_label(cfg, keys) if len(cfgs) > 1 else cfg)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(f"{field.replace('_', ' ')} (fraction)")
        if title:
            ax.set_title(title, fontsize=9)
        if many:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        else:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{fam}: {field} per epoch (the seed study's Figure 8; line: mean over seeds, "
                 f"band: its 95 % interval, n seeds)", fontsize=10)
    tight(fig)
    return save(fig, out, f"{fam.lower()}_fig8_val_acc.png")


# ------------------------------------------------------------------------------ claims
STUDY = "Hlav 2019 (the seed study)"
# SENT: the study found the configurations alike; "alike" = within one point of accuracy.
ALIKE_MARGIN = 0.01
ALIKE_REASON = ("one point of accuracy: the regression check's tolerance; the study called "
                "configurations this close alike")
# (gain-adjusted, plain) penalty forms: the paper's formula, and the study's code's formula.
FORM_PAIRS = (("so_gain_adjusted", "so"), ("seed_notebook", "seed_notebook_plain"))


def base_label(base):
    """A pairing key's distinguishing keys as text (e.g. 'gain:1.25 norm:mean lambda:1')."""
    return " ".join(f"{k}:{v}" for k, v in base if k in ("task", "gain", "norm", "lambda", "lr"))


def seed_claims(s):
    """The study's claims, paired by seed (runs that differ only in the penalty, or only in the
    initialization, share their draws): the gain-adjusted penalty beats the plain one at the same
    form, g, λ and norm; orthogonal initialization (g = 1, no penalty) beats Glorot at the same
    learning rate. SEED tests differences; SENT, where the study found every configuration
    alike, tests equivalence within one point."""
    fam, runs = s.name, s.runs
    acc = pick_counter(runs, ["best_val_acc", "final_acc", "test_acc"])
    if acc is None:
        return []
    alike = fam == "SENT"
    kind = dict(kind="equivalence", margin=ALIKE_MARGIN, margin_reason=ALIKE_REASON,
                literature_effect=0.0) if alike \
        else dict(kind="difference", direction=+1)
    out = []
    for adj, plain in FORM_PAIRS:
        tab = claims.table(runs, acc, lambda k, _: k.get("reg") if k.get("reg") in (adj, plain)
                           else None, lambda k, _: claims.drop(k, "reg"))
        for base, arms in tab.items():
            if adj not in arms or plain not in arms:
                continue
            diffs, lone, _ = claims.paired({base: arms}, adj, plain)
            verb = "matches" if alike else "beats"
            out.append(stats.Claim(
                family=fam, claim=f"{adj} {verb} {plain} ({base_label(base)})",
                metric=f"{acc}, {adj} − {plain}, paired by seed", values=diffs, source=STUDY,
                note=claims.pairing_note(lone), **kind))

    def init_arm(k, _):
        if k.get("reg", "none") != "none" or k.get("constraint", "none") != "none":
            return None
        if k.get("init") == "orthogonal" and k.get("gain", "1") in ("1", "1.0"):
            return "orthogonal"
        return "glorot" if k.get("init", "").startswith("glorot") else None
    tab = claims.table(runs, acc, init_arm, lambda k, _: claims.drop(k, "init", "gain"))
    for base, arms in tab.items():
        if "orthogonal" not in arms or "glorot" not in arms:
            continue
        diffs, lone, _ = claims.paired({base: arms}, "orthogonal", "glorot")
        verb = "matches" if alike else "beats"
        out.append(stats.Claim(
            family=fam, claim=f"orthogonal init (g = 1, no penalty) {verb} Glorot "
                              f"({base_label(base)})",
            metric=f"{acc}, orthogonal − Glorot, paired by seed", values=diffs, source=STUDY,
            note=claims.pairing_note(lone), **kind))
    return out + isometry_training.claims_of(fam, runs)


# ------------------------------------------------------------------------------ entry points
def figures(s):
    """Figure 7 (one file per data set / task: it has a panel per configuration) and
    Figure 8."""
    fam, runs, inp, out, notes = s.name, s.runs, s.inp, s.out, s.notes
    names = list(ok_runs(runs))
    parts = split_panels([config_of(n) for n in names], ["task", "dataset", "model"], 0)
    figs = []
    for i, (title, cfgs) in enumerate(parts.items()):
        sub = OrderedDict((n, runs[n]) for n in names if config_of(n) in set(cfgs))
        fn = f"{fam.lower()}_fig7_kernel_sv" + \
            (f"_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_')}" if i else "") + ".png"
        figs.append((fig_kernel_sv(fam, sub, inp, out, notes, fn, title.replace(":", " ")),
                     "Figure 7: singular values of the recurrent kernel per epoch, per "
                     "configuration" + (f" ({title})" if title else "") + "."))
    figs += [(fig_val_acc_epochs(fam, runs, inp, out, notes),
             "Figure 8: validation accuracy per epoch, per configuration (mean over seeds, "
             "95 % interval of the mean; n in the legend).")]
    figs += isometry_training.figures(fam, runs, inp, out, notes)
    return keep_drawn(figs)


def verdicts(s):
    """The ranking of configurations (what was measured; the claims judge)."""
    v = safe(lambda: ranking_verdict(s.name, s.runs), s.notes, f"{s.name} ranking")
    iso = safe(lambda: isometry_training.observation(s.name, s.runs), s.notes,
               f"{s.name} isometry against accuracy")
    open_ = safe(lambda: isometry_training.unjudged(s.name, s.runs), s.notes,
                 f"{s.name} isometry comparisons not judged") or []
    return [x for x in (v, iso) if x] + open_
