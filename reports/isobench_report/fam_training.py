"""Figures and verdicts of the training families (RQC, RQD, RQE, SEED, SENT, TASK, and any
family not known here). Their traces hold one line per evaluation in the trainer's EvalRecord
format (trainer.hpp): step, epoch, seconds, loss, and when measured train_acc, val_acc, val_loss,
plus family fields (SEED: kernel_sv_mean/std/min/max). Lines without "step" are ignored.

Everything is defensive: a family with no runs, missing traces or missing fields gives a note in
the report, never an exception. Seeds are averaged on a common step grid (plotting.seed_band).
"""
import math
import re
import textwrap
from collections import OrderedDict

import numpy as np
from matplotlib.ticker import MaxNLocator

from .inputs import (config_of, counters, groups_by_config, is_number, mean_spread, ok_runs,
                     parse_name, short_label, varying_keys)
from .plotting import (colors, depth_axis, plot_band, plt, save, spans_decades,
                       subplots_grid, tight)
from .tables import fmt

# Curves are split into panels by these keys: always by the data-set-like ones (task, dataset,
# model), by the others while a panel would hold more than 10 lines.
PANEL_KEYS = ["task", "dataset", "model", "depth", "init", "act", "hidden", "width", "opt"]
ACC_COUNTERS = ["best_val_acc", "final_acc", "test_acc"]


# ------------------------------------------------------------------------------ trace helpers
def run_curve(inp, name, field, x="step"):
    """(xs, ys) of a run's trace lines that have both fields as finite numbers; None when the
    trace file is missing; ([], []) when the field is absent."""
    tr = inp.trace(name)
    if tr is None:
        return None
    pts = [(r[x], r[field]) for r in tr if is_number(r.get(x)) and is_number(r.get(field))]
    pts.sort(key=lambda p: p[0])
    return [p[0] for p in pts], [p[1] for p in pts]


def pick_field(inp, names, prefs):
    """The first of `prefs` that some run's trace has."""
    for f in prefs:
        for n in names:
            tr = inp.trace(n) or []
            if any(is_number(r.get(f)) and "step" in r for r in tr):
                return f
    return None


def pick_counter(runs, prefs):
    for c in prefs:
        if any(c in counters(b) for b in runs.values()):
            return c
    return None


def fig_curves(fam, runs, inp, out, notes, fields, ylabel, filename, title, logy=False,
               baseline_counter=None):
    """One line per configuration (mean over seeds, ± std band) of the first trace field of
    `fields` against optimizer steps; panels by task/dataset/... (split_panels)."""
    runs = ok_runs(runs)
    groups = groups_by_config(runs)
    if not groups:
        notes.append(f"{fam}: no run without errors; no curves.")
        return None
    field = pick_field(inp, list(runs), fields)
    missing = [n for n in runs if inp.trace(n) is None]
    inp.missing_trace_note(fam, missing)
    if field is None:
        notes.append(f"{fam}: no trace has {' or '.join(fields)} per step"
                     + (f" ({len(missing)} trace file(s) missing)" if missing else "")
                     + "; the curves figure is skipped.")
        return None
    if field != fields[0]:
        notes.append(f"{fam}: no trace has {fields[0]}; the curves show {field} instead.")
    cfg_names = list(groups)
    panels = split_panels(cfg_names, PANEL_KEYS, 10)
    many = max(len(v) for v in panels.values()) > 6  # legend beside the panel, one per row
    fig, axes = subplots_grid(len(panels), ncols=1 if many else min(2, len(panels)),
                              panel=(10.5, 3.8) if many else (5.0, 3.6))
    allv = []
    for ax, (pv, cfgs) in zip(axes, panels.items()):
        cols = colors(len(cfgs))
        label_keys = varying_keys(cfgs)
        for col, cfg in zip(cols, cfgs):
            curves = []
            for n, _ in groups[cfg]:
                c = run_curve(inp, n, field)
                if c and c[0]:
                    curves.append(c)
                    allv += c[1]
            plot_band(ax, curves, col, short_label(cfg, label_keys) or cfg, logy=logy)
        if baseline_counter:
            m, _, n = mean_spread([counters(b).get(baseline_counter) for c in cfgs
                                   for _, b in groups[c]])
            if n:
                ax.axhline(m, color="k", ls="--", lw=1.2, label=f"trivial baseline ({fmt(m)})")
                allv.append(m)
        ax.set_xlabel("optimizer steps")
        ax.set_ylabel(ylabel.format(field=field))
        if pv:
            ax.set_title(pv.replace(":", ": "))
        if ax.get_legend_handles_labels()[0]:
            if many:
                ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
            else:
                ax.legend(loc="best", fontsize=7)
    if logy or (field in ("loss", "val_loss") and spans_decades(allv)):
        for ax in axes:
            ax.set_yscale("log")
    fig.suptitle(title.format(field=field) + " (line: mean over seeds; band: ± std)", fontsize=10)
    tight(fig)
    return save(fig, out, filename)


def natural(s):
    """Sort key that orders embedded numbers numerically (depth:4 before depth:16)."""
    return [(0, float(t), "") if re.fullmatch(r"\d+(\.\d+)?", t) else (1, 0.0, t)
            for t in re.split(r"(\d+(?:\.\d+)?)", s) if t]


def fig_bars(fam, runs, out, notes, by_key, filename, what=None):
    """Horizontal bars per configuration (mean ± std over seeds): accuracy and cost counters.
    Bars are grouped and coloured by `by_key` (a name key, or a function of the keys)."""
    group = by_key if callable(by_key) else (lambda k: k.get(by_key, "—"))
    runs = ok_runs(runs)
    groups = groups_by_config(runs)
    acc = pick_counter(runs, ACC_COUNTERS)
    wanted = [c for c in [acc, "epoch_seconds", "train_seconds"] if c]
    present = [c for c in wanted if any(c in counters(b) for b in runs.values())]
    if not groups or not present:
        notes.append(f"{fam}: no accuracy or cost counters; the bar chart is skipped.")
        return None
    cfgs = list(groups)
    label_keys = varying_keys(cfgs)
    # Sort so that bars of one constraint/penalty sit together.
    cfgs.sort(key=lambda c: (natural(group(parse_name(c)[2])), natural(c)))
    labels = [short_label(c, label_keys) for c in cfgs]
    fig, axes = plt.subplots(1, len(present), figsize=(3.6 * len(present) + 2.5,
                                                       0.32 * len(cfgs) + 1.6),
                             sharey=True, squeeze=False)
    keyvals = sorted({group(parse_name(c)[2]) for c in cfgs})
    cmap = dict(zip(keyvals, colors(len(keyvals))))
    for ax, c in zip(axes[0], present):
        ms, ss = [], []
        for cfg in cfgs:
            m, s, _ = mean_spread([counters(b).get(c) for _, b in groups[cfg]])
            ms.append(np.nan if m is None else m)
            ss.append(0 if s is None else s)
        bar_cols = [cmap[group(parse_name(cfg)[2])] for cfg in cfgs]
        ax.barh(range(len(cfgs)), np.nan_to_num(ms), xerr=ss, color=bar_cols, capsize=2)
        unit = " (s)" if c.endswith("seconds") else " (fraction)" if "acc" in c else ""
        ax.set_xlabel(c + unit)
        if c.endswith("seconds") and spans_decades(ms, 1.5):
            ax.set_xscale("log")
        if "acc" in c:
            finite = [m for m in ms if np.isfinite(m)]
            if finite:
                lo = min(finite)
                ax.set_xlim(max(0, lo - 0.1 * (1 - lo) - 0.02), min(1.0, max(finite) + 0.02))
    axes[0][0].set_yticks(range(len(cfgs)))
    axes[0][0].set_yticklabels(labels, fontsize=7.5)
    axes[0][0].invert_yaxis()
    what = what or {"reg": "penalty", "constraint": "constraint"}.get(by_key, str(by_key))
    fig.suptitle(f"{fam}: accuracy and cost per {what} (mean ± std over seeds)", fontsize=10)
    tight(fig)
    return save(fig, out, filename)


def fig_vs_depth(fam, runs, out, notes, filename):
    """Accuracy against depth. With reg:none runs to compare with (RQE), each penalty's gain
    over no penalty at the same depth (panels per initialization); else the accuracy itself.
    Error bars: std over seeds (for a gain: the two configurations' stds combined)."""
    runs = ok_runs(runs)
    depths = {parse_name(n)[2].get("depth") for n in runs}
    if len(depths - {None}) < 2:
        return None
    acc = pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        notes.append(f"{fam}: no accuracy counter; accuracy against depth is skipped.")
        return None
    strip = r"/(depth|seed):[^/]*"
    lines = OrderedDict()  # configuration without depth → {depth: [values]}
    for n, b in runs.items():
        k = parse_name(n)[2]
        if "depth" not in k or acc not in counters(b):
            continue
        key = re.sub(strip, "", n)
        lines.setdefault(key, {}).setdefault(int(float(k["depth"])), []).append(counters(b)[acc])

    def base_of(key):  # the same configuration without a penalty
        return re.sub(r"/reg:[^/]*(/norm:[^/]*)?(/lambda:[^/]*)?", "/reg:none", key)
    benefit = any("/reg:none" in k for k in lines) and any("/reg:none" not in k for k in lines)
    cells = OrderedDict()  # panel (configuration without reg) → [line keys]
    for key in lines:
        if benefit and "/reg:none" in key:
            continue
        cell = re.sub(r"/reg:[^/]*(/norm:[^/]*)?(/lambda:[^/]*)?", "", key) if benefit else ""
        cells.setdefault(cell, []).append(key)
    panel_keys = varying_keys(list(cells)) if len(cells) > 1 else []
    fig, axes = subplots_grid(len(cells), ncols=1, panel=(9.0, 3.6), sharey=True)
    for ax, (cell, keys) in zip(axes, cells.items()):
        label_keys = varying_keys(keys) or ["reg"]
        for col, key in zip(colors(len(keys)), keys):
            dd = lines[key]
            ds, ys, es = [], [], []
            for d in sorted(dd):
                m, sd, _ = mean_spread(dd[d])
                if benefit:
                    bm, bsd, bn = mean_spread(lines.get(base_of(key), {}).get(d, []))
                    if bn == 0:
                        continue
                    m, sd = m - bm, math.hypot(sd, bsd)
                ds.append(d)
                ys.append(m)
                es.append(sd)
            if ds:
                ax.errorbar(ds, ys, yerr=es, fmt="o-", color=col, capsize=2, ms=4,
                            label=short_label(key, label_keys))
        if benefit:
            ax.axhline(0, color="k", lw=1.2, label="no penalty")
        depth_axis(ax, [d for k in keys for d in lines[k]])
        ax.set_ylabel((f"{acc} − no penalty" if benefit else acc) + " (fraction)")
        if panel_keys:
            ax.set_title(short_label(cell, panel_keys))
        ax.legend(fontsize=7.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    what = f"gain in {acc} over no penalty" if benefit else acc
    fig.suptitle(f"{fam}: {what} against depth (error bars: std over seeds)", fontsize=10)
    tight(fig)
    return save(fig, out, filename)


# ------------------------------------------------------------------------------ verdicts
def acc_by_config(runs, acc):
    out = OrderedDict()
    for cfg, items in groups_by_config(ok_runs(runs)).items():
        m, s, n = mean_spread([counters(b).get(acc) for _, b in items])
        if m is not None:
            out[cfg] = (m, s, n)
    return out


def ranking_verdict(fam, runs, acc=None, lower_is_better=False):
    """'best X, worst Y, spread vs seed noise' over configurations."""
    acc = acc or pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        return None
    stats = acc_by_config(runs, acc)
    if len(stats) < 2:
        return None
    keys = varying_keys(list(stats))
    order = sorted(stats.items(), key=lambda kv: kv[1][0], reverse=not lower_is_better)
    (bc, (bm, bs, _)), (wc, (wm, ws, _)) = order[0], order[-1]
    noise = max(s for _, (_, s, n) in order if n > 1) if any(n > 1 for *_, n in
                                                                 stats.values()) else None
    gap = abs(bm - wm)
    if noise is None:
        spread = "one seed each: no seed spread to compare with"
    elif noise == 0:
        spread = f"the seeds agree exactly, so the spread {fmt(gap)} is all configuration"
    elif gap <= 2 * noise:
        spread = f"the spread {fmt(gap)} is within 2× the largest seed std ({fmt(noise)}): " \
                 f"no configuration is distinguishable"
    else:
        spread = f"the spread {fmt(gap)} is {gap / noise:.1f}× the largest seed std"
    return (f"{fam} ({acc}, {len(stats)} configurations): best "
            f"`{short_label(bc, keys)}` {fmt(bm)} ± {fmt(bs)}, worst `{short_label(wc, keys)}` "
            f"{fmt(wm)} ± {fmt(ws)}; {spread}.")


def safe(fn, notes, what):
    try:
        return fn()
    except Exception as e:  # a verdict must not cost the figures
        notes.append(f"{what} could not be computed ({type(e).__name__}: {e}).")
        return None


def mean_by(runs, counter, keyfn):
    """OrderedDict keyfn(keys) → mean_spread over runs (keyfn may return None to skip)."""
    acc = OrderedDict()
    for n, b in ok_runs(runs).items():
        k = keyfn(parse_name(n)[2])
        if k is None or counter not in counters(b):
            continue
        acc.setdefault(k, []).append(counters(b)[counter])
    return OrderedDict((k, mean_spread(v)) for k, v in acc.items())


def rqc_verdict(runs):
    """Pennington et al. 2017: orthogonal tanh fastest, ReLU slowest."""
    c = "steps_to_target" if pick_counter(runs, ["steps_to_target"]) else None
    if c is None:
        return None
    st = mean_by(runs, c, lambda k: f"{k.get('act', '?')}/{k.get('init', '?')}"
                 if "act" in k else None)
    if len(st) < 2:
        return None
    order = sorted(st.items(), key=lambda kv: kv[1][0])
    text = ", ".join(f"{k} {fmt(m)}" for k, (m, _, _) in order)
    fastest, slowest = order[0][0], order[-1][0]
    holds = fastest == "tanh/orthogonal" and slowest.startswith("relu")
    return (f"RQC mean steps_to_target over datasets/optimizers/seeds: {text}. Pennington's "
            f"ordering (orthogonal tanh fastest, ReLU slowest) "
            f"{'holds' if holds else 'does not hold here'}.")


def rqd_kind(k):
    """RQD's treatment of the recurrent kernel: a hard constraint, a penalty, or none."""
    c = k.get("constraint", "none")
    if c == "margin":
        return f"margin {k.get('margin', '?')}"
    return c if c != "none" else ("none" if k.get("reg", "none") == "none" else
                                  f"penalty {k.get('reg')}")


def rqd_verdict(runs):
    """Vorontsov et al. 2017: the pure hard constraint (margin 0) is worse than a margin."""
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
    t = mean_by(runs, "epoch_seconds", kind)
    cost = ""
    if "none" in t and t["none"][0]:
        base = t["none"][0]
        cost = "; epoch time relative to none: " + ", ".join(
            f"{k} {m / base:.2f}×" for k, (m, _, _) in t.items() if k != "none")
    return f"RQD {acc} by constraint: {text}{verdict}{cost}."


def rqe_verdict(runs):
    """Bansal et al. 2018 / RESEARCH.md RQE: does a penalty pay, and more so with depth? The best
    penalty configuration (reg, λ, norm) against reg:none at each depth and initialization."""
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


def seed_verdict(runs, fam):
    """The study's claims: gain-adjusted beats plain at the same g, λ; orthogonal beats Glorot."""
    acc = pick_counter(runs, ["best_val_acc", "final_acc", "test_acc"])
    if acc is None:
        return None
    stats = acc_by_config(runs, acc)
    diffs = []  # (gain-adjusted − plain, standard error of the difference)
    # (gain-adjusted, plain) forms: the paper's formula, and the study's code's formula.
    pairs = [("/reg:so_gain_adjusted/", "/reg:so/"), ("/reg:seed_notebook/",
                                                      "/reg:seed_notebook_plain/")]
    for cfg, (m, s, n) in stats.items():
        adj = next((p for p in pairs if p[0] in cfg + "/"), None)
        if adj is None:
            continue
        plain = (cfg + "/").replace(adj[0], adj[1])[:-1]
        if plain in stats:
            pm, ps, pn = stats[plain]
            se = math.sqrt((s * s) / max(n, 1) + (ps * ps) / max(pn, 1))
            diffs.append((m - pm, se))
    out = []
    if diffs:
        wins = sum(1 for d, _ in diffs if d > 0)
        clear = sum(1 for d, se in diffs if d > 2 * se and se > 0)
        clear_losses = sum(1 for d, se in diffs if d < -2 * se and se > 0)
        ds = [d for d, _ in diffs]
        if wins == len(diffs) and clear:
            judged = "the study's claim holds here"
        elif clear == 0 and clear_losses == 0:
            judged = "within seed noise: the study's claim is not confirmed here"
        elif clear_losses > clear:
            judged = "the study's claim does not hold here"
        else:
            judged = "the study's claim holds only partly here"
        out.append(f"{fam}: gain-adjusted beats the plain penalty (same form, g, λ, norm) in "
                   f"{wins} of {len(diffs)} pairs, {clear} of them by more than 2 standard errors "
                   f"({clear_losses} clearly lost); {acc} difference mean "
                   f"{sum(ds) / len(ds):+.4f} (from {min(ds):+.4f} to {max(ds):+.4f}) — {judged}.")
    # Orthogonal (no penalty) vs Glorot at the same learning rate only: an extra configuration at
    # another rate (e.g. SENT's lr-1e-2 pipeline check) must not weigh on either side.
    o = mean_by(runs, acc, lambda k: ("orthogonal", k.get("lr")) if k.get("init") == "orthogonal"
                and k.get("reg", "none") == "none" else
                (("glorot", k.get("lr")) if k.get("init", "").startswith("glorot") else None))
    lrs = sorted({lr for (kind, lr) in o if kind == "glorot" and ("orthogonal", lr) in o},
                 key=lambda v: str(v))
    for lr in lrs:
        om, gm = o[("orthogonal", lr)][0], o[("glorot", lr)][0]
        at = f" at lr {lr}" if lr is not None else ""
        out.append(f"{fam}: orthogonal init (no penalty) vs Glorot{at}, mean over data sets, "
                   f"gains and seeds: {acc} {fmt(om)} vs {fmt(gm)} ({om - gm:+.4f}).")
    return out


def task_verdict(runs):
    rows = []
    for cfg, items in groups_by_config(ok_runs(runs)).items():
        fl, _, n = mean_spread([counters(b).get("final_loss") for _, b in items])
        bl, _, _ = mean_spread([counters(b).get("baseline_loss") for _, b in items])
        if fl is not None and bl is not None and n:
            rows.append((cfg, fl, bl))
    if not rows:
        return None
    beat = [r for r in rows if r[1] < r[2]]
    keys = varying_keys([r[0] for r in rows])
    best = min(rows, key=lambda r: r[1] / r[2] if r[2] else math.inf)
    return (f"TASK: final_loss below the trivial baseline in {len(beat)} of {len(rows)} "
            f"configurations; best `{short_label(best[0], keys)}` at "
            f"{100 * best[1] / best[2]:.2g} % of its baseline ({fmt(best[1])} vs {fmt(best[2])}).")


# ------------------------------------------------------------------------------ SEED figures
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
                 f"band: ± std)", fontsize=10)
    tight(fig)
    return save(fig, out, f"{fam.lower()}_fig8_val_acc.png")


def split_panels(cfgs, keys, max_lines):
    """OrderedDict panel title → configurations. Always split by the data-set-like keys (task,
    dataset, model); then by each further key of `keys` while a panel holds more than max_lines
    lines. A configuration whose value of that key is shared by no other (e.g. no gain, or
    gain 1 without penalty) is a reference drawn in every panel of the split."""
    def val(c, key):
        return parse_name(c)[1] if key == "model" else parse_name(c)[2].get(key, "—")

    panels = OrderedDict([("", list(cfgs))])
    always = {"task", "dataset", "model"}
    for key in keys:
        if key not in always and max(len(v) for v in panels.values()) <= max_lines:
            break
        new = OrderedDict()
        for title, members in panels.items():
            counts = OrderedDict()
            for c in members:
                counts[val(c, key)] = counts.get(val(c, key), 0) + 1
            groups = [v for v, n in counts.items() if n >= 2 or key in always]
            if len(groups) < 2:
                new[title] = members
                continue
            refs = [c for c in members if val(c, key) not in groups]
            for v in groups:
                t = (title + ", " if title else "") + f"{key}:{v}"
                new[t] = refs + [c for c in members if val(c, key) == v]
        panels = new
    return panels


# ------------------------------------------------------------------------------ entry points
def _finish(figs, notes):
    return [(p, c) for p, c in figs if p], notes


def figures_generic(runs, inp, out, fam=None):
    fam = fam or next(iter(runs)).split("/")[0]
    notes, verdicts = [], []
    figs = [(fig_curves(fam, runs, inp, out, notes, ["val_acc", "train_acc"], "{field} (fraction)",
                        f"{fam.lower()}_acc_vs_steps.png", f"{fam}: {{field}} against steps"),
             "Accuracy against optimizer steps per configuration.")]
    v = safe(lambda: ranking_verdict(fam, runs), notes, f"{fam} verdict")
    if v:
        verdicts.append(v)
    figs, notes = _finish(figs, notes)
    return figs, verdicts, notes


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


def figures_rqc(runs, inp, out):
    figs, verdicts, notes = figures_generic(runs, inp, out, "RQC")
    p = fig_acc_vs_isometry("RQC", runs, out, notes)
    if p:
        figs.append((p, "Accuracy after the budget against sv2_var at initialization: does "
                        "starting closer to isometry train better?"))
    v = safe(lambda: rqc_verdict(runs), notes, "RQC verdict")
    if v:
        verdicts.insert(0, v)
    return figs, verdicts, notes


def figures_rqd(runs, inp, out):
    figs, verdicts, notes = figures_generic(runs, inp, out, "RQD")
    figs += _finish([(fig_bars("RQD", runs, out, notes, rqd_kind, "rqd_cost.png",
                               "constraint or penalty"),
                      "Accuracy and cost (epoch/training wall time) per constraint or "
                      "penalty.")], [])[0]
    ksv = fig_kernel_sv("RQD", runs, inp, out, [], "rqd_kernel_sv.png")
    if ksv:
        figs.append((ksv, "Recurrent-kernel singular values per epoch under each constraint "
                          "or penalty (mean ± std band, min, max; averaged over seeds)."))
    p = fig_vs_depth("RQD", runs, out, notes, "rqd_acc_vs_depth.png")
    if p:
        figs.append((p, "Accuracy against depth per constraint."))
    v = safe(lambda: rqd_verdict(runs), notes, "RQD verdict")
    if v:
        verdicts.insert(0, v)
    return figs, verdicts, notes


def figures_rqe(runs, inp, out):
    figs, verdicts, notes = figures_generic(runs, inp, out, "RQE")
    figs += _finish([(fig_bars("RQE", runs, out, notes, "reg", "rqe_cost.png"),
                      "Accuracy and cost (training wall time) per penalty.")], [])[0]
    p = fig_vs_depth("RQE", runs, out, notes, "rqe_acc_vs_depth.png")
    if p:
        figs.append((p, "Each penalty's gain in accuracy over no penalty against depth: "
                        "where orthogonality pays."))
    v = safe(lambda: rqe_verdict(runs), notes, "RQE verdict")
    if v:
        verdicts.insert(0, v)
    return figs, verdicts, notes


def figures_seed(runs, inp, out):
    fam = next(iter(runs)).split("/")[0]
    notes, verdicts = [], []
    # Figure 7 has a panel per configuration: one file per data set / task.
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
             "Figure 8: validation accuracy per epoch, per configuration (± std over seeds).")]
    figs, notes = _finish(figs, notes)
    v = safe(lambda: seed_verdict(runs, fam), notes, f"{fam} verdict")
    verdicts += v or []
    v = safe(lambda: ranking_verdict(fam, runs), notes, f"{fam} ranking")
    if v:
        verdicts.append(v)
    return figs, verdicts, notes


def figures_task(runs, inp, out):
    notes, verdicts = [], []
    figs = [(fig_curves("TASK", runs, inp, out, notes, ["loss", "val_loss"], "{field}",
                        "task_loss_vs_steps.png", "TASK: {field} against steps",
                        baseline_counter="baseline_loss"),
             "Training loss against steps; dashed: the task's trivial-solution loss "
             "(baseline_loss) — below it, the network has learned something.")]
    figs, notes = _finish(figs, notes)
    v = safe(lambda: task_verdict(runs), notes, "TASK verdict")
    if v:
        verdicts.append(v)
    return figs, verdicts, notes
