"""Shared code of the training families (RQC, RQD, RQE, SEED, SENT, TASK, and any family no
module of families/ names): trace curves, accuracy/cost bars, accuracy against depth, panel
splitting, and the ranking verdict. Their traces hold one line per evaluation in the trainer's
EvalRecord format: step, epoch, seconds, loss, and when measured train_acc, val_acc, val_loss,
plus family fields (SEED: kernel_sv_mean/std/min/max). Lines without "step" are ignored.

Why shared: issue 23 (the report by family) — each family module (families/*.py) picks what it
draws from here; nothing is copied between families.

Everything is defensive: a family with no runs, missing traces or missing fields gives a note in
the report, never an exception. Seeds are averaged on a common step grid (plotting.seed_band).
"""
import re
from collections import OrderedDict

import numpy as np

from .inputs import (counters, groups_by_config, is_number, mean_spread, ok_runs, parse_name,
                     short_label, varying_keys)
from .plotting import (colors, depth_axis, plot_band, plt, save, spans_decades,
                       subplots_grid, tight)
from .stats import mean_interval
from .tables import fmt
from .verdicts import Verdict

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
    """One line per configuration (mean over seeds, 95 % interval band) of the first trace field of
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
    fig.suptitle(title.format(field=field) + " (line: mean over n seeds; band: its 95 % interval)",
                 fontsize=10)
    tight(fig)
    return save(fig, out, filename)


def natural(s):
    """Sort key that orders embedded numbers numerically (depth:4 before depth:16)."""
    return [(0, float(t), "") if re.fullmatch(r"\d+(\.\d+)?", t) else (1, 0.0, t)
            for t in re.split(r"(\d+(?:\.\d+)?)", s) if t]


def co_run_note(fam, jobs, what):
    """The note for a family whose wall times are not compared: its runs ran `jobs` at a time."""
    return (f"{fam}: {what} not compared: these runs ran {jobs} at a time (--jobs {jobs}), which "
            f"inflates wall times unevenly; compare costs in PERF (which runs alone) or rerun "
            f"{fam} with --jobs 1.")


def fig_bars(fam, runs, out, notes, by_key, filename, what=None, jobs=1):
    """Horizontal bars per configuration (mean over seeds, 95 % t interval; n in the label):
    accuracy and cost counters.
    Bars are grouped and coloured by `by_key` (a name key, or a function of the keys). The cost
    bars (wall times) are drawn only when the runs ran alone (jobs == 1)."""
    group = by_key if callable(by_key) else (lambda k: k.get(by_key, "—"))
    runs = ok_runs(runs)
    groups = groups_by_config(runs)
    acc = pick_counter(runs, ACC_COUNTERS)
    wanted = [c for c in [acc] + (["epoch_seconds", "train_seconds"] if jobs == 1 else []) if c]
    if jobs != 1:
        notes.append(co_run_note(fam, jobs, "the epoch and training times"))
    present = [c for c in wanted if any(c in counters(b) for b in runs.values())]
    if not groups or not present:
        notes.append(f"{fam}: no accuracy or cost counters; the bar chart is skipped.")
        return None
    cfgs = list(groups)
    label_keys = varying_keys(cfgs)
    # Sort so that bars of one constraint/penalty sit together.
    cfgs.sort(key=lambda c: (natural(group(parse_name(c)[2])), natural(c)))
    labels = [f"{short_label(c, label_keys)} (n={len(groups[c])})" for c in cfgs]
    fig, axes = plt.subplots(1, len(present), figsize=(3.6 * len(present) + 2.5,
                                                       0.32 * len(cfgs) + 1.6),
                             sharey=True, squeeze=False)
    keyvals = sorted({group(parse_name(c)[2]) for c in cfgs})
    cmap = dict(zip(keyvals, colors(len(keyvals))))
    for ax, c in zip(axes[0], present):
        ms, ss = [], []
        for cfg in cfgs:
            m, half, _ = mean_interval([counters(b).get(c) for _, b in groups[cfg]])
            ms.append(np.nan if m is None else m)
            ss.append(0 if half is None else half)
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
    fig.suptitle(f"{fam}: accuracy and cost per {what} (mean over seeds, 95 % interval)",
                 fontsize=10)
    tight(fig)
    return save(fig, out, filename)


def fig_vs_depth(fam, runs, out, notes, filename):
    """Accuracy against depth. With reg:none runs to compare with (RQE), each penalty's gain
    over no penalty at the same depth (panels per initialization); else the accuracy itself.
    Error bars: the 95 % t interval of the mean over seeds (for a gain: of the per-seed paired
    differences — runs of one seed share their draws)."""
    runs = ok_runs(runs)
    depths = {parse_name(n)[2].get("depth") for n in runs}
    if len(depths - {None}) < 2:
        return None
    acc = pick_counter(runs, ACC_COUNTERS)
    if acc is None:
        notes.append(f"{fam}: no accuracy counter; accuracy against depth is skipped.")
        return None
    strip = r"/(depth|seed):[^/]*"
    lines = OrderedDict()  # configuration without depth → {depth: {seed: value}}
    for n, b in runs.items():
        k = parse_name(n)[2]
        if "depth" not in k or acc not in counters(b):
            continue
        key = re.sub(strip, "", n)
        lines.setdefault(key, {}).setdefault(int(float(k["depth"])), {})[k.get("seed", n)] = \
            counters(b)[acc]

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
                if benefit:
                    base = lines.get(base_of(key), {}).get(d, {})
                    m, half, n = mean_interval([v - base[s] for s, v in dd[d].items()
                                                if s in base])
                else:
                    m, half, n = mean_interval(list(dd[d].values()))
                if n == 0:
                    continue
                ds.append(d)
                ys.append(m)
                es.append(half or 0.0)
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
    fig.suptitle(f"{fam}: {what} against depth (error bars: 95 % interval over seeds)",
                 fontsize=10)
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
    """'best X, worst Y, their gap and the largest seed std' over configurations, as an
    observation (estimate: the best − worst gap; samples: the two configurations' values over
    seeds). It judges nothing: the claims do."""
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
    # Descriptive only: the best and worst are picked after the fact, so their gap is not tested.
    if noise is None:
        spread = "one seed each"
    else:
        spread = (f"gap {fmt(gap)}, largest seed std {fmt(noise)} (picked after the fact: "
                  f"not a test)")
    text = (f"{fam} ({acc}, {len(stats)} configurations): best "
            f"`{short_label(bc, keys)}` {fmt(bm)} ± {fmt(bs)}, worst `{short_label(wc, keys)}` "
            f"{fmt(wm)} ± {fmt(ws)}; {spread}.")
    used = tuple(n for n, b in ok_runs(runs).items() if acc in counters(b))
    per_cfg = {cfg: [counters(b)[acc] for _, b in items if acc in counters(b)]
               for cfg, items in groups_by_config(ok_runs(runs)).items() if cfg in (bc, wc)}
    return Verdict(text=text, claim=f"{fam}: do the configurations differ in {acc} beyond seed "
                                    f"noise?",
                   estimate=gap, runs=used, samples=per_cfg)


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
def keep_drawn(figs):
    """The (path, caption) pairs whose figure was drawn (a figure function returns None when it
    has nothing to draw)."""
    return [(p, c) for p, c in figs if p]


def generic_figures(s):
    """Accuracy (val_acc, else train_acc) against optimizer steps per configuration: the figure
    of every training family and of any family no module names (families.generic)."""
    fam = s.name
    return keep_drawn([(fig_curves(fam, s.runs, s.inp, s.out, s.notes, ["val_acc", "train_acc"],
                                   "{field} (fraction)", f"{fam.lower()}_acc_vs_steps.png",
                                   f"{fam}: {{field}} against steps"),
                        "Accuracy against optimizer steps per configuration.")])


def generic_verdicts(s):
    """The ranking verdict (best and worst configuration against seed noise), if any."""
    v = safe(lambda: ranking_verdict(s.name, s.runs), s.notes, f"{s.name} verdict")
    return [v] if v else []
