"""How close a training RNN (SEED) or LSTM (SENT) stays to dynamical isometry: the figures, claims
and observation of issue 21's per-evaluation Jacobian measurements (lib/include/isobench/train/
recurrent_isometry.hpp; shared by SEED and SENT through seed_study.py).

The fields (trace lines with an epoch; final counters of the same names):
  jac_sv2_mean      mean squared singular value of J_T = ∂h_T/∂h_0 (T = 28 for row MNIST; SENT's
                    LSTM: ∂(h_T, c_T)/∂(h_0, c_0), T = 50 padded tokens)
  jac_log_sv2_mean  (1/H) log det(JᵀJ), exact (QR): 0 at isometry, the log-det per unit
  jac_log_sv2_dist  mean_i |log s_i²|: the distance from isometry (only when every s_i is
                    resolved; absent otherwise)
  hidden_grad_norm  ‖∂L/∂h_t‖ for t = 0..T (a list): the gradient's decay through time (SEED)
  state_grad_norm   ‖∂L/∂(h_t, c_t)‖ for t = 0..T: the same for the LSTM's whole state (SENT)

- <fam>_isometry_per_epoch.png: jac_log_sv2_dist and jac_log_sv2_mean per epoch for every
  penalty form and the baselines, beside the validation accuracy (mean over seeds, 95 % band).
- <fam>_hidden_grad_norm.png (SEED) / <fam>_state_grad_norm.png (SENT): the gradient norm
  against t (log y) at the first and the last evaluation.
- claims (issue 21, 5c): the gain-adjusted penalty keeps J_T closer to isometry than the plain
  penalty and than no penalty, paired at the same gain, λ, norm form and seed (one value per seed,
  the forms averaged: claims.paired), on the final jac_log_sv2_dist and on |jac_log_sv2_mean|
  (the log-det's distance from the isometric volume). A distance comparison with pairs lacking
  jac_log_sv2_dist (unresolved spectra: the runs furthest from isometry) is not judged — an
  Observed line says so — since leaving those pairs out would bias it.
- observation: Spearman's rank correlation across configurations between the final distance from
  isometry and best_val_acc — a description, not a test.

Runs without these fields (SENT before its measurements exist) give a note, never an error.
"""
import math
import re
from collections import OrderedDict

import numpy as np
from matplotlib.ticker import MaxNLocator
from scipy import stats as sst

from . import claims, stats
from .inputs import (config_of, counters, groups_by_config, is_number, ok_runs, parse_name,
                     short_label, varying_keys)
from .plotting import colors, plot_band, plt, save, subplots_grid, tight
from .training import split_panels
from .verdicts import Verdict

FIELDS = ("jac_log_sv2_dist", "jac_log_sv2_mean")
# The gradient norm through time: of h_t (an RNN) or of the LSTM's state (h_t, c_t); its label.
GRADS = (("hidden_grad_norm", "‖∂L/∂h_t‖"), ("state_grad_norm", "‖∂L/∂(h_t, c_t)‖"))
# (gain-adjusted, plain) penalty forms: the paper's formula and the study's code's
# (seed_study.FORM_PAIRS; repeated here so this module does not import seed_study).
FORM_PAIRS = (("so_gain_adjusted", "so"), ("seed_notebook", "seed_notebook_plain"))
ADJUSTED = tuple(a for a, _ in FORM_PAIRS)
SOURCE = ("Hlav 2019 (the seed study's thesis: isometry through orthogonality); "
          "Pennington, Schoenholz & Ganguli 2017")


def eval_points(inp, name, field):
    """[(epoch, value)] of a run's evaluations that carry `field` (a number, or for lists a
    list), one per epoch (its last evaluation), sorted by epoch."""
    tr = inp.trace(name) or []
    d = OrderedDict()
    for r in sorted((r for r in tr if is_number(r.get("epoch")) and field in r),
                    key=lambda r: (r["epoch"], r.get("step", 0))):
        v = r[field]
        if is_number(v) or (isinstance(v, list) and v and all(is_number(x) for x in v)):
            d[r["epoch"]] = v
    return list(d.items())


def has_field(inp, names, field):
    return any(eval_points(inp, n, field) for n in names)


def jac_steps(inp, names):
    """T of J_T from a run's jacobian_final trace line, else None."""
    for n in names:
        for r in inp.trace(n) or []:
            if r.get("kind") == "jacobian_final" and is_number(r.get("steps")):
                return int(r["steps"])
    return None


# ------------------------------------------------------------------------------ figures
NO_PENALTY = re.compile(r"/reg:[^/]*(/norm:[^/]*)?(/lambda:[^/]*)?")


def no_penalty_config(cfg):
    """The configuration without a penalty at the same gain and settings (reg:none), or None
    when cfg has none itself."""
    if "/reg:" not in cfg or "/reg:none" in cfg:
        return None
    return NO_PENALTY.sub("/reg:none", cfg)


def _diff_curves(inp, groups, cfg, base, field):
    """Per seed, (epochs, cfg − base) over the epochs both runs have (paired by seed)."""
    seed_of = {parse_name(n)[2].get("seed"): n for n, _ in groups.get(base, [])}
    out = []
    for n, _ in groups[cfg]:
        b = seed_of.get(parse_name(n)[2].get("seed"))
        if b is None:
            continue
        mine, theirs = dict(eval_points(inp, n, field)), dict(eval_points(inp, b, field))
        es = sorted(set(mine) & set(theirs))
        if es:
            out.append((es, [mine[e] - theirs[e] for e in es]))
    return out


def fig_per_epoch(fam, runs, inp, out, notes):
    """Per panel (task): three columns — jac_log_sv2_dist, jac_log_sv2_mean, val_acc — per epoch,
    a line per configuration (mean over seeds, 95 % band); below, each penalty's difference from
    no penalty at the same gain, paired by seed (the penalties' curves overlap on the first row).
    None (and a note) without the fields."""
    runs = ok_runs(runs)
    groups = groups_by_config(runs)
    names = list(runs)
    present = [f for f in FIELDS if has_field(inp, names, f)]
    if not present:
        notes.append(f"{fam}: no trace has {' or '.join(FIELDS)} per evaluation (the Jacobian "
                     f"through time is not measured in these runs); the isometry figure is "
                     f"skipped.")
        return None
    no_dist = [c for c in groups if not any(eval_points(inp, n, FIELDS[0]) for n, _ in groups[c])]
    if no_dist:
        keys = varying_keys(list(groups))
        notes.append(f"{fam}: no evaluation of {', '.join(short_label(c, keys) for c in no_dist)} "
                     f"has jac_log_sv2_dist (a singular value of J_T below the resolution "
                     f"1e3·ε·s_max at every evaluation: the distance is undefined, and absent from "
                     f"the isometry figure; its log-det is drawn).")
    T = jac_steps(inp, names)
    cols = list(FIELDS) + ["val_acc"]
    ylabels = {"jac_log_sv2_dist": "distance from isometry\nmean_i |log s_i²| of J_T",
               "jac_log_sv2_mean": "mean log s_i² of J_T\n(log-det / H; 0 = isometric volume)",
               "val_acc": "validation accuracy (fraction)"}
    panels = split_panels(list(groups), ["task", "dataset", "model"], 0)
    diffs = any(no_penalty_config(c) in groups for c in groups)
    rows = 2 if diffs else 1
    fig, axes = subplots_grid(3 * rows * len(panels), ncols=3, panel=(4.6, 3.5))
    drawn = False
    for p, (title, cfgs) in enumerate(panels.items()):
        keys = varying_keys(cfgs)
        cc = dict(zip(cfgs, colors(len(cfgs))))
        for j, field in enumerate(cols):
            ax = axes[3 * rows * p + j]
            for cfg in cfgs:
                curves = []
                for n, _ in groups[cfg]:
                    pts = eval_points(inp, n, field)
                    if pts:
                        curves.append(([e for e, _ in pts], [v for _, v in pts]))
                drawn |= plot_band(ax, curves, cc[cfg],
                                   short_label(cfg, keys) if len(cfgs) > 1 else cfg)
            if field != "val_acc":
                ax.axhline(0.0, color="k", lw=0.8)
            ax.set_ylabel(ylabels[field])
            if title:
                ax.set_title(title, fontsize=9)
            if j == 2:
                ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
            if not diffs:
                continue
            dx = axes[3 * rows * p + 3 + j]
            for cfg in cfgs:
                base = no_penalty_config(cfg)
                if base in groups:
                    plot_band(dx, _diff_curves(inp, groups, cfg, base, field), cc[cfg],
                              short_label(cfg, keys))
            dx.axhline(0.0, color="k", lw=1.0)
            dx.set_ylabel(f"{field}\n− no penalty at the same gain")
            dx.set_title("each penalty minus no penalty, paired by seed", fontsize=8.5)
    for ax in axes:
        ax.set_xlabel("epoch (0 = initialization)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not drawn:
        plt.close(fig)
        return None
    tt = f"J_{T}" if T else "J_T"
    state = "(h_T, c_T)/∂(h_0, c_0)" if fam == "SENT" else "h_T/∂h_0"  # the LSTM: its whole state
    fig.suptitle(f"{fam}: distance from dynamical isometry of {tt} = ∂{state} during training, "
                 f"beside validation accuracy\n(line: mean over seeds; band: 95 % interval; "
                 f"measured on fixed validation sequences at every evaluation)", fontsize=10)
    tight(fig)
    return save(fig, out, f"{fam.lower()}_isometry_per_epoch.png")


def fig_grad_norm(fam, runs, inp, out, notes):
    """The gradient norm through time (GRADS: ‖∂L/∂h_t‖ or the LSTM state's) against t (log y) at
    the first and last evaluation, a line per configuration."""
    runs = ok_runs(runs)
    groups = groups_by_config(runs)
    found = [(f, label) for f, label in GRADS if has_field(inp, list(runs), f)]
    if not found:
        notes.append(f"{fam}: no trace has {' or '.join(f for f, _ in GRADS)} per evaluation; "
                     f"the gradient-norm figure is skipped.")
        return None
    grad, label = found[0]
    cfgs = list(groups)
    keys = varying_keys(cfgs)
    fig, axes = subplots_grid(2, ncols=2, panel=(5.6, 4.0), sharey=True)
    for ax, which in zip(axes, ("first", "last")):
        epochs = set()
        for col, cfg in zip(colors(len(cfgs)), cfgs):
            curves = []
            for n, _ in groups[cfg]:
                pts = eval_points(inp, n, grad)
                if not pts:
                    continue
                e, v = pts[0] if which == "first" else pts[-1]
                epochs.add(e)
                curves.append((list(range(len(v))), [float(x) for x in v]))
            plot_band(ax, curves, col, short_label(cfg, keys) if len(cfgs) > 1 else cfg,
                      logy=True)
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_title(f"{which} evaluation (epoch {', '.join(str(e) for e in sorted(epochs))})",
                     fontsize=9)
    axes[0].set_ylabel(f"{label} (validation batch)")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(f"{fam}: gradient norm through time at the first and the last evaluation "
                 f"(mean over seeds, 95 % band): flat = gradients survive all steps",
                 fontsize=10)
    tight(fig)
    return save(fig, out, f"{fam.lower()}_{grad}.png")


def figures(fam, runs, inp, out, notes):
    """[(path, caption)] of the drawn figures (none, with notes, without the fields)."""
    figs = [(fig_per_epoch(fam, runs, inp, out, notes),
             "Distance from isometry of the Jacobian through time per epoch — mean |log s_i²| "
             "(left) and the mean log s_i² (middle; 0 when the volume is preserved) — beside "
             "the validation accuracy (right), a line per penalty form and baseline."),
            (fig_grad_norm(fam, runs, inp, out, notes),
             "‖∂L/∂h_t‖ against the time step t at the first and the last evaluation (log "
             "scale): a steep rise towards t = T means the gradient vanishes going back in "
             "time.")]
    return [(p, c) for p, c in figs if p]


# ------------------------------------------------------------------------------ claims
def _tab(runs, counter, transform, arm, base):
    return claims.table(runs, counter, arm, base, transform)


def _abs(v, _):
    return abs(v)


def _pairs_vs_plain(runs, counter, transform):
    """{(form pair, base): {"adj": {seed: v}, "plain": {seed: v}}} — base = the keys without reg
    and seed (same gain, λ, norm form)."""
    out = {}
    for i, (adj, plain) in enumerate(FORM_PAIRS):
        t = _tab(runs, counter, transform,
                 lambda k, _, a=adj, p=plain: {a: "adj", p: "plain"}.get(k.get("reg")),
                 lambda k, _: claims.drop(k, "reg"))
        for base, arms in t.items():
            out[(i, base)] = arms
    return out


def _pairs_vs_none(runs, counter, transform):
    """{(adjusted run's reg/norm/λ, base): {"adj": …, "none": …}} — base = the keys without reg,
    norm, λ and seed (same init, gain, …); the no-penalty arm is shared by every adjusted form."""
    def base(k, _):
        return claims.drop(k, "reg", "norm", "lambda")

    none = _tab(runs, counter, transform,
                lambda k, _: "none" if k.get("reg", "none") == "none" and
                k.get("constraint", "none") == "none" else None, base)
    adj = _tab(runs, counter, transform,
               lambda k, _: (k.get("reg"), k.get("norm"), k.get("lambda"))
               if k.get("reg") in ADJUSTED else None, base)
    out = {}
    for b, arms in adj.items():
        if b not in none:
            continue
        for form, by_seed in arms.items():
            out[(form, b)] = {"adj": by_seed, "none": none[b]["none"]}
    return out


def _n_pairs(tab, a, b):
    """The number of (base, seed) pairs holding both arms."""
    return sum(len(set(arms.get(a, {})) & set(arms.get(b, {}))) for arms in tab.values())


CLAIMS = (("jac_log_sv2_dist", None, "jac_log_sv2_dist", "closer to isometry",
           "lower = closer to isometry"),
          ("jac_log_sv2_mean", _abs, "|jac_log_sv2_mean|", "with its log-det (volume) closer to 0",
           "lower = volume nearer the isometric one; 0 for any volume-preserving spectrum, so "
           "not a distance by itself"))


def _comparisons(fam, runs):
    """[(counter, what, claim text, metric, diffs, note, skipped, total)] of the 5c comparisons."""
    if not any("jac_log_sv2_mean" in counters(b) for b in ok_runs(runs).values()):
        return []
    out = []
    for counter, transform, what, closer, reading in CLAIMS:
        for other, pairs in (("the plain penalty", _pairs_vs_plain),
                             ("no penalty", _pairs_vs_none)):
            arm_b = "plain" if other == "the plain penalty" else "none"
            tab = pairs(runs, counter, transform)
            # every pair the runs form (jac_log_sv2_mean is reported whenever J was measured)
            total = _n_pairs(pairs(runs, "jac_log_sv2_mean", None), "adj", arm_b)
            if not total:
                continue
            diffs, lone, cells = claims.paired(tab, "adj", arm_b)
            notes = [claims.cells_note(cells, "comparisons (forms, norms, λ)")]
            skipped = total - _n_pairs(tab, "adj", arm_b)
            out.append((counter, what, f"the gain-adjusted penalty keeps J_T {closer} than "
                                       f"{other} ({what})",
                        f"final {what}, gain-adjusted − {arm_b}, paired by seed at the same gain, "
                        f"λ and norm form ({reading})",
                        diffs, "; ".join(n for n in notes if n), skipped, total))
    return out


def claims_of(fam, runs):
    """The 5c claims (difference, direction −1: the gain-adjusted penalty's value is smaller),
    [] when no run reports the final Jacobian counters. A comparison some of whose pairs lack
    the distance (unresolved spectra — the runs furthest from isometry, so leaving them out
    would bias it) is not judged: observation() describes it instead."""
    return [stats.Claim(family=fam, claim=text, kind="difference", direction=-1, values=diffs,
                        source=SOURCE, metric=metric, note=note)
            for _, _, text, metric, diffs, note, skipped, _ in _comparisons(fam, runs)
            if not skipped]


def unjudged(fam, runs):
    """Observed lines for the comparisons claims_of leaves out (pairs without the distance)."""
    out = []
    for counter, what, text, _, diffs, _, skipped, total in _comparisons(fam, runs):
        if not skipped:
            continue
        have = [float(v) for v in diffs if is_number(v)]
        mean = f"{np.mean(have):+.3g} over the {len(have)} complete seeds" if have else "—"
        out.append(Verdict(
            text=f"{fam}: not judged — {text}: {skipped} of {total} pairs lack a final {counter} "
                 f"(a singular value of J_T below 1e3·ε·s_max, so the distance is undefined; "
                 f"these are the runs furthest from isometry, and leaving them out would bias "
                 f"the comparison). Mean difference {mean}; the log-det claim judges all pairs.",
            estimate=float(np.mean(have)) if have else None, runs=()))
    return out


def observation(fam, runs):
    """Spearman's ρ across configurations between the mean final jac_log_sv2_dist (else
    |jac_log_sv2_mean|) and the mean best_val_acc — a description; None when < 3 configurations
    have both."""
    groups = groups_by_config(ok_runs(runs))
    for counter, what in (("jac_log_sv2_dist", "jac_log_sv2_dist"),
                          ("jac_log_sv2_mean", "|jac_log_sv2_mean|")):
        xs, ys, used = [], [], []
        for cfg, items in groups.items():
            d = [abs(counters(b)[counter]) for _, b in items if counter in counters(b)]
            a = [counters(b)["best_val_acc"] for _, b in items if "best_val_acc" in counters(b)]
            if d and a:
                xs.append(float(np.mean(d)))
                ys.append(float(np.mean(a)))
                used += [n for n, _ in items]
        if len(xs) >= 3:
            break
    else:
        return None
    rho, p = sst.spearmanr(xs, ys)
    measure = ("distance from isometry" if counter == "jac_log_sv2_dist" else
               "log-det's distance from the isometric volume (the distance itself is undefined "
               "for too many runs)")
    if not math.isfinite(rho):
        return None
    return Verdict(
        text=f"{fam}: across {len(xs)} configurations, the final {measure} ({what}, "
             f"mean over seeds) and best_val_acc have Spearman ρ = {rho:+.2f} — a description "
             f"only (configurations differ in more than their isometry; not a test of "
             f"causation, and not judged).",
        estimate=float(rho), runs=tuple(used))
