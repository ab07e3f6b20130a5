"""RQA — vanishing and exploding gradients at initialization (docs/RESEARCH.md §3 RQA): the
input-output Jacobian at initialization next to theory. The family module: title, table
columns, figures and verdicts (families/__init__.py describes the interface).

- rqa_grad_norms.png: ‖∂L/∂W_l‖ / ‖∂L/∂W_L‖ per layer at the deepest depth, per operating point,
  Gaussian vs orthogonal, with the mean-field slope χ^{(L−l)/2} (Schoenholz et al. 2017).
- rqa_jjt_hist.png: histograms of JJᵀ's eigenvalues (the squared singular values) at the deepest
  depth, with the free-probability mean, mean ± std and largest eigenvalue (upper support edge)
  of Pennington et al. 2017/2018 marked.
- rqa_sv2_mean_vs_depth.png, rqa_sv2_var_vs_depth.png: measured against theory over depth.
- rqa_phase_diagram.png: χ of tanh over (σ_w², σ_b²) with the critical line χ = 1 and the run
  points (the seed study's Figure 1), from $ISOBENCH_OUT/rqa_phase_diagram.json.
- RQA/rnn (the Jacobian through time of a tanh RNN): figures, the critical-gain table, claims and
  observations of rqa_rnn.py, appended to the MLP's; its claims join RQA's Holm family.
"""
import math
from collections import OrderedDict

import numpy as np

from ..inputs import counters, mean_spread, ok_runs, parse_name
from ..plotting import (INIT_COLORS, chi_mesh, depth_axis, plt, read_chi_grid, save,
                        subplots_grid, tidy_log_axis, tight)
from .. import rqa_rnn, stats
from ..verdicts import Verdict
from . import Family

GRAD_CAVEAT = ("the gradient probe uses a batch of 16, so grad_norm_ratio is a noisy estimate: "
               "in the ordered phase and for ReLU (and deep Gaussian networks, whose spectra are "
               "heavy-tailed) it deviates from χ^((L−1)/2) by up to ~2.5×")
ISO_MEAN = (0.5, 2.0)  # "dynamically isometric": JJᵀ mean within 2× of 1 …
ISO_VAR = 1.0          # … and variance below 1
HIST_DECADES_FLOOR = 1e-20  # histogram range: 20 decades under the largest eigenvalue


def _f(k, key, default=None):
    try:
        return float(k[key])
    except (KeyError, ValueError):
        return default


def collect(runs):
    """OrderedDict point → {init → {depth → [run dicts]}} for the largest width, and that width.
    A point is (act, sw2, sb2); a run dict has name, counters, seed."""
    rows = []
    for n, b in ok_runs(runs).items():
        _, model, k = parse_name(n)
        if model != "mlp" or "depth" not in k:
            continue
        rows.append((n, k, counters(b)))
    if not rows:
        return OrderedDict(), None
    width = max(int(_f(k, "width", 0)) for _, k, _ in rows)
    points = OrderedDict()
    for n, k, c in rows:
        if int(_f(k, "width", 0)) != width:
            continue
        pt = (k.get("act", "?"), _f(k, "sw2"), _f(k, "sb2"))
        points.setdefault(pt, OrderedDict()).setdefault(k.get("init", "?"), {}) \
            .setdefault(int(k["depth"]), []).append({"name": n, "c": c})
    return points, width


def point_chi(inits):
    for by_depth in inits.values():
        for rs in by_depth.values():
            for r in rs:
                if "theory_chi" in r["c"]:
                    return r["c"]["theory_chi"]
    return None


def point_label(pt, chi):
    act, sw2, sb2 = pt
    if chi is None:
        phase = ""
    elif abs(chi - 1) < 1e-3:
        phase = "critical"
    else:
        phase = "ordered" if chi < 1 else "chaotic"
    if act == "linear" or (act == "relu" and phase == "critical"):
        phase = ""  # their only critical point
    return f"{act} {phase}".strip(), f"σ_w²={sw2:g}, σ_b²={sb2:g}" + \
        (f", χ={chi:.4g}" if chi is not None else "")


def g3(v):
    return f"{v:.3g}"


def stat(rs, key):
    return mean_spread([r["c"].get(key) for r in rs])


# --------------------------------------------------------------------------------- figures
def deepest_panels(points):
    """One panel per (activation, σ_w², σ_b²) point: (point, its inits' runs, its largest depth)."""
    return [(pt, inits, max(d for by_depth in inits.values() for d in by_depth))
            for pt, inits in points.items()]


def fig_grad_norms(points, inp, out, notes):
    panels = deepest_panels(points)
    fig, axes = subplots_grid(len(panels), ncols=2, panel=(4.6, 3.4))
    missing, drawn = [], 0
    for ax, (pt, inits, depth) in zip(axes, panels):
        chi = point_chi(inits)
        for init, by_depth in inits.items():
            rs = by_depth.get(depth, [])
            curves = []
            for r in rs:
                tr = inp.trace(r["name"])
                if tr is None:
                    missing.append(r["name"])
                    continue
                g = next((x for x in tr if x.get("kind") == "grad_norms"), None)
                if not g or not isinstance(g.get("grad_norm"), list) or not g["grad_norm"]:
                    continue
                norms = np.asarray(g["grad_norm"], float)
                if not np.isfinite(norms[-1]) or norms[-1] <= 0:
                    continue
                curves.append(norms / norms[-1])
            if not curves:
                continue
            L = min(len(c) for c in curves)
            arr = np.array([c[:L] for c in curves])
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log10(np.where(arr > 0, arr, np.nan))
            layers = np.arange(1, L + 1)
            col = INIT_COLORS.get(init)
            ax.plot(layers, 10 ** np.nanmean(logs, axis=0), "-", color=col, lw=1.5,
                    label=f"{init} ({len(curves)} seeds)")
            if len(curves) > 1:
                ax.fill_between(layers, np.nanmin(arr, axis=0), np.nanmax(arr, axis=0),
                                color=col, alpha=0.2, lw=0)
            drawn += 1
        if chi is not None and chi > 0:
            layers = np.arange(1, depth + 1)
            ax.plot(layers, chi ** ((depth - layers) / 2.0), "k--", lw=1,
                    label=r"theory $\chi^{(L-l)/2}$")
        ax.set_yscale("log")
        tidy_log_axis(ax)
        name, sub = point_label(pt, chi)
        ax.set_title(f"{name}, L={depth}\n{sub}", fontsize=9)
        ax.set_xlabel("layer l")
        ax.set_ylabel(r"$\|\partial L/\partial W_l\|_F \;/\; \|\partial L/\partial W_L\|_F$")
        ax.legend(loc="best")
    inp.missing_trace_note("RQA", missing)
    if not drawn:
        plt.close(fig)
        notes.append("RQA: no per-layer gradient norms in the traces; figure skipped.")
        return None
    fig.suptitle("RQA: gradient norm per layer at initialization, relative to the last layer "
                 "(band: min–max over seeds)", fontsize=10)
    tight(fig)
    return save(fig, out, "rqa_grad_norms.png")


def fig_jjt_hist(points, inp, out, notes):
    panels = deepest_panels(points)
    fig, axes = subplots_grid(len(panels), ncols=2, panel=(4.6, 3.4))
    drawn = 0
    for ax, (pt, inits, depth) in zip(axes, panels):
        chi = point_chi(inits)
        spectra = OrderedDict()
        for init, by_depth in inits.items():
            vals = []
            for r in by_depth.get(depth, []):
                tr = inp.trace(r["name"]) or []
                s = next((x for x in tr if x.get("kind") == "jacobian_sv2"), None)
                if s and isinstance(s.get("sv2"), list):
                    vals += [v for v in s["sv2"] if isinstance(v, (int, float))]
            if vals:
                spectra[init] = (np.asarray(vals, float), by_depth.get(depth, []))
        pos = np.concatenate([v[v > 0] for v, _ in spectra.values()]) if spectra else np.array([])
        if pos.size == 0:
            ax.text(0.5, 0.5, "no spectrum in the traces", ha="center", transform=ax.transAxes)
            continue
        lo, hi = pos.min(), pos.max()
        for init, (v, rs) in spectra.items():  # keep theory marks inside the axis
            for key in ("theory_sv2_mean", "theory_sv2_max"):
                m, _, n = stat(rs, key)
                if n and m > 0:
                    lo, hi = min(lo, m), max(hi, m)
        floor = hi * HIST_DECADES_FLOOR
        lo = max(lo, floor)
        if hi / lo < 1.5:
            lo, hi = lo / 1.2, hi * 1.2
        bins = np.geomspace(lo / 1.05, hi * 1.05, 100)
        for i, (init, (v, rs)) in enumerate(spectra.items()):
            col = INIT_COLORS.get(init)
            shown = v[v >= bins[0]]
            below = 1.0 - len(shown) / len(v)
            extra = f"; {100 * below:.0f} % < {bins[0]:.0e}, not shown" if below > 0.005 else ""
            ax.hist(shown, bins=bins, weights=np.full(len(shown), 1.0 / len(v)),
                    histtype="step", color=col, lw=1.4, label=f"{init} ({len(rs)} seeds{extra})")
            tm, _, _ = stat(rs, "theory_sv2_mean")
            tv, _, _ = stat(rs, "theory_sv2_var")
            tx, _, _ = stat(rs, "theory_sv2_max")
            if tm is not None:
                ax.axvline(tm, color=col, ls="--", lw=1)
                if tv is not None and tv >= 0:
                    sd = math.sqrt(tv)
                    y = 0.95 - 0.06 * i
                    ax.plot([max(tm - sd, bins[0]), min(tm + sd, bins[-1])], [y, y], color=col,
                            lw=3, alpha=0.5, transform=ax.get_xaxis_transform(),
                            solid_capstyle="butt")
            if tx is not None and tx > 0:
                ax.axvline(tx, color=col, ls=":", lw=1.2)
            drawn += 1
        ax.set_xscale("log")
        name, sub = point_label(pt, chi)
        ax.set_title(f"{name}, L={depth}\n{sub}", fontsize=9)
        ax.set_xlabel("eigenvalue of JJᵀ (squared singular value of J)")
        ax.set_ylabel("fraction of eigenvalues")
        ax.set_ylim(0, None)
        ax.legend(loc="center left", fontsize=7.5, framealpha=0.85)
    if not drawn:
        plt.close(fig)
        notes.append("RQA: no Jacobian spectra in the traces; histogram figure skipped.")
        return None
    fig.suptitle("RQA: spectrum of JJᵀ at initialization, pooled over seeds, against free-"
                 "probability theory (in the colour of each initialization)", fontsize=10)
    from matplotlib.lines import Line2D
    fig.legend(handles=[Line2D([], [], color="k", ls="--", lw=1, label="theory mean"),
                        Line2D([], [], color="k", lw=3, alpha=0.4, label="theory mean ± std"),
                        Line2D([], [], color="k", ls=":", lw=1.2,
                               label="theory largest eigenvalue (support edge)")],
               loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return save(fig, out, "rqa_jjt_hist.png")


def fig_vs_depth(points, out, key, ylabel, filename, title):
    """Measured (mean over seeds, min–max bars) and theory against depth, a panel per point.
    Values under 1e-20 × the panel's largest are floating-point zeros (orthogonal linear
    networks): drawn at that floor and said so in the legend."""
    fig, axes = subplots_grid(len(points), ncols=2, panel=(4.6, 3.4))
    for ax, (pt, inits) in zip(axes, points.items()):
        chi = point_chi(inits)
        series = []
        for init, by_depth in inits.items():
            depths = sorted(by_depth)
            ms, lo, hi, ts = [], [], [], []
            for d in depths:
                vals = [r["c"][key] for r in by_depth[d] if key in r["c"]]
                t, _, _ = stat(by_depth[d], "theory_" + key)
                ms.append(float(np.mean(vals)) if vals else np.nan)
                lo.append(min(vals) if vals else np.nan)
                hi.append(max(vals) if vals else np.nan)
                ts.append(np.nan if t is None else t)
            series.append((init, depths, np.array(ms), np.array(lo), np.array(hi),
                           np.array(ts)))
        top = max([np.nanmax(np.concatenate([s[4], s[5]])) for s in series
                   if np.any(np.isfinite(np.concatenate([s[4], s[5]])))] or [1.0])
        floor = 1e-20 * top if top > 0 else 1e-20
        for init, depths, ms, lo, hi, ts in series:
            col = INIT_COLORS.get(init)
            zero = ms < floor
            shown = np.where(zero, floor, ms)
            yerr = np.array([np.where(zero, 0, ms - np.maximum(lo, floor)),
                             np.where(zero, 0, hi - ms)])
            lab = f"{init} measured" + (f" (< {floor:.0e}: rounding, drawn at it)"
                                        if zero.any() else "")
            ax.errorbar(depths, shown, yerr=np.nan_to_num(np.maximum(yerr, 0)), fmt="o-",
                        color=col, ms=4, lw=1.3, capsize=2, label=lab)
            tzero = ts < floor
            ax.plot(depths, np.where(tzero, floor, ts), "--", color=col, lw=1,
                    label=f"{init} theory" + (" (0, drawn at the floor)" if tzero.any() else ""))
        depth_axis(ax, [d for by_depth in inits.values() for d in by_depth])
        ax.set_yscale("log")
        tidy_log_axis(ax)
        name, sub = point_label(pt, chi)
        ax.set_title(f"{name}\n{sub}", fontsize=9)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=7.5)
    fig.suptitle(title, fontsize=10)
    tight(fig)
    return save(fig, out, filename)


def fig_phase_diagram(inp, points, out, notes):
    grid = read_chi_grid(inp, "rqa_phase_diagram.json", "sw2", "sb2",
                         "RQA/phase_diagram/act:tanh", "the phase diagram", notes)
    if grid is None:
        return None
    d, sw2, sb2, chi = grid
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    chi_mesh(fig, ax, sw2, sb2, chi,
             r"$\chi = \sigma_w^2\,E[\phi'(\sqrt{q^*}h)^2]$  (JJᵀ mean $= \chi^L$)")
    line = d.get("critical_line") or {}
    if isinstance(line, dict) and line.get("sw2") and line.get("sb2"):
        ax.plot(line["sw2"], line["sb2"], "k-", lw=2, label="critical line χ = 1")
    for p in d.get("points", []) or []:
        try:
            ax.plot(p["sw2"], p["sb2"], "o", color="#ffcc00", mec="k", ms=8, clip_on=False,
                    zorder=5)
            ax.annotate(f"{p.get('label', '')} (χ={p['chi']:.3g})", (p["sw2"], p["sb2"]),
                        textcoords="offset points", xytext=(6, 6), fontsize=8,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", alpha=0.8))
        except (KeyError, TypeError, ValueError):
            continue
    ax.plot([], [], "o", color="#ffcc00", mec="k", label="RQA operating points")
    ax.text(0.05, 0.92, "ordered (χ < 1):\ngradients vanish", transform=ax.transAxes,
            fontsize=8, va="top", bbox=dict(fc="white", alpha=0.7, lw=0))
    ax.text(0.95, 0.08, "chaotic (χ > 1):\ngradients explode", transform=ax.transAxes,
            fontsize=8, ha="right", bbox=dict(fc="white", alpha=0.7, lw=0))
    ax.set_xlabel("σ_w² (weight variance × width)")
    ax.set_ylabel("σ_b² (bias variance)")
    ax.set_xlim(sw2.min(), sw2.max())
    ax.set_ylim(sb2.min(), sb2.max())
    ax.set_title(f"RQA: {d.get('activation', 'tanh')} phase diagram (the seed study's Figure 1)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    ax.grid(False)
    fig.tight_layout()
    return save(fig, out, "rqa_phase_diagram.png")


# --------------------------------------------------------------------------------- verdict
def sentences(points, width):
    """The verdict sentences: which operating points are isometric, sv2_var against theory at
    the critical points, gradient-norm ratios against χ^((L−1)/2)."""
    out = []
    if not points:
        return out
    depth = max(d for inits in points.values() for by_depth in inits.values() for d in by_depth)
    iso, not_iso, disagree, var_lines = [], [], [], []
    for pt, inits in points.items():
        chi = point_chi(inits)
        name, _ = point_label(pt, chi)
        per_init = []
        for init, by_depth in inits.items():
            rs = by_depth.get(depth)
            if not rs:
                continue
            m, _, _ = stat(rs, "sv2_mean")
            v, vs, n = stat(rs, "sv2_var")
            tm, _, _ = stat(rs, "theory_sv2_mean")
            tv, _, _ = stat(rs, "theory_sv2_var")
            if m is None or v is None:
                continue
            is_iso = ISO_MEAN[0] <= m <= ISO_MEAN[1] and v < ISO_VAR
            (iso if is_iso else not_iso).append(f"{name}/{init}")
            if tm is not None and tv is not None:
                th_iso = ISO_MEAN[0] <= tm <= ISO_MEAN[1] and tv < ISO_VAR
                if th_iso != is_iso:
                    disagree.append(f"{name}/{init}")
            if chi is not None and abs(chi - 1) < 1e-3:
                tvs = "—" if tv is None else g3(tv)
                per_init.append(f"{init} {g3(v)}" + (f" ± {g3(vs)}" if n > 1 else "") +
                                f" vs {tvs}")
        if per_init:
            var_lines.append(f"{name}: " + ", ".join(per_init))
    seeds = max((len(rs) for inits in points.values() for bd in inits.values()
                 for rs in bd.values()), default=0)
    held = "theory predicts the same" if not disagree else \
        "theory predicts otherwise for " + ", ".join(disagree)
    gauss_all = [x for x in not_iso if x.endswith("/gaussian")]
    n_gauss = sum(1 for inits in points.values() if "gaussian" in inits)
    rest = [x for x in not_iso if not x.endswith("/gaussian")]
    not_text = (["every Gaussian network"] if gauss_all and len(gauss_all) == n_gauss
                and not any(x.endswith("/gaussian") for x in iso) else gauss_all) + rest
    out.append(f"RQA at depth {depth}, width {width} ({seeds} seeds): dynamical isometry (JJᵀ "
               f"mean within 2× of 1, variance < 1) only for "
               f"{', '.join(iso) if iso else 'none'}; not for "
               f"{', '.join(not_text) if not_text else 'none'} — {held}.")
    if var_lines:
        out.append(f"sv2_var at depth {depth}, critical points, measured (mean ± std over "
                   f"seeds) vs free-probability theory — " + "; ".join(var_lines) + ".")
    # Gradient-norm ratios against χ^{(L−1)/2}.
    dev = []
    for pt, inits in points.items():
        chi = point_chi(inits)
        if chi is None or chi <= 0:
            continue
        for init, by_depth in inits.items():
            for d, rs in by_depth.items():
                if d < 2:
                    continue
                g, _, n = stat(rs, "grad_norm_ratio")
                if g is None or g <= 0:
                    continue
                th = chi ** ((d - 1) / 2.0)
                f = max(g / th, th / g)
                dev.append((f, point_label(pt, chi)[0], init, d, abs(chi - 1) < 1e-3))
    if dev:
        crit = [x for x in dev if x[4]]
        off = [x for x in dev if not x[4]]
        parts = []
        if crit:
            w = max(crit)
            parts.append(f"at the critical points within {w[0]:.2f}× of theory (worst: {w[1]} "
                         f"{w[2]}, L={w[3]})")
        if off:
            w = max(off)
            parts.append(f"off criticality within {w[0]:.2f}× (worst: {w[1]} {w[2]}, L={w[3]})")
        out.append("grad_norm_ratio (first/last layer) against χ^((L−1)/2): " +
                   "; ".join(parts) + f" (note: {GRAD_CAVEAT}).")
    return out


# ---------------------------------------------------------------------------------- claims
PENNINGTON = "Pennington, Schoenholz & Ganguli 2017, 2018"
SCHOENHOLZ = "Poole et al. 2016; Schoenholz et al. 2017"
SMALL_L_OVER_N = 0.02  # Gaussian spectra follow the N → ∞ theory only while L/N is this small


def theory_margin(depth, width):
    """|log(measured / theory)| < log(1 + max(0.1, L/N)): finite-width corrections to the
    N → ∞ moments are of relative order L/N, and 10 % is the floor."""
    return math.log(1 + max(0.1, depth / width))


def log_ratios(rs, key):
    """Per-seed log(measured / theory) of `key` (sv2_mean, sv2_var), the runs where both are
    positive."""
    out = []
    for r in rs:
        m, t = r["c"].get(key), r["c"].get("theory_" + key)
        if m is not None and t is not None and m > 0 and t > 0:
            out.append(math.log(m / t))
    return tuple(out)


def spread(rs, key="sv2_var"):
    """Per-seed log(1 + sv2_var): the spread of JJᵀ's spectrum (0 = isometry), defined at 0.
    key="theory_sv2_var": the same from theory's prediction."""
    return tuple(math.log1p(r["c"][key]) for r in rs if r["c"].get(key) is not None)


def theory_difference(a, b):
    """Theory's log(1 + sv2_var) of runs `a` minus that of runs `b` (the expected effect of a
    difference claim), or None when a side has no prediction."""
    ta, tb = spread(a, "theory_sv2_var"), spread(b, "theory_sv2_var")
    return sum(ta) / len(ta) - sum(tb) / len(tb) if ta and tb else None


def claims_of(s):
    """At the critical points: each measured moment matches theory (equivalence; orthogonal at
    the deepest depth, Gaussian only at the largest depth with L/N ≤ 0.02), and Gaussian weights
    are further from isometry than orthogonal ones (difference of log(1 + sv2_var), Welch: RQA's
    inits draw independently); ReLU is not isometric even with orthogonal weights; off
    criticality the spectrum's mean shrinks (ordered) or grows (chaotic) with depth."""
    points, width = collect(s.runs)
    out = []
    iso = {}  # act → orthogonal runs at the deepest depth of its critical point
    for pt, inits in points.items():
        chi = point_chi(inits)
        if chi is None:
            continue
        name, where = point_label(pt, chi)
        critical = abs(chi - 1) < 1e-3
        deepest = {init: max(bd) for init, bd in inits.items()}
        if not critical:
            for init, bd in inits.items():
                d = deepest[init]
                vals = tuple(math.log(r["c"]["sv2_mean"]) for r in bd[d]
                             if r["c"].get("sv2_mean", 0) > 0)
                dropped = len(bd[d]) - len(vals)
                out.append(stats.Claim(
                    family="RQA", claim=f"{name} ({where}), {init}: JJᵀ's mean "
                                        f"{'shrinks' if chi < 1 else 'grows'} with depth "
                                        f"(χ^L, L={d})",
                    kind="difference", metric=f"log sv2_mean at depth {d}", values=vals,
                    direction=-1 if chi < 1 else +1, literature_effect=d * math.log(chi),
                    source=SCHOENHOLZ + " (expected effect: L·log χ)",
                    note=f"{dropped} run(s) without a positive sv2_mean left out" if dropped
                    else ""))
            continue
        for init, bd in inits.items():
            if init == "orthogonal":
                d = deepest[init]
            else:
                small = [x for x in bd if 2 <= x <= SMALL_L_OVER_N * width]
                if not small:
                    continue
                d = max(small)
            for key, what in (("sv2_mean", "mean"), ("sv2_var", "variance")):
                vals = log_ratios(bd[d], key)
                if not vals:
                    continue
                out.append(stats.Claim(
                    family="RQA", claim=f"{name} ({where}), {init}, L={d}, N={width}: JJᵀ's "
                                        f"{what} matches theory",
                    kind="equivalence", metric=f"log({key} / theory_{key}), per seed",
                    values=vals, margin=theory_margin(d, width), literature_effect=0.0,
                    margin_reason="log(1 + max(0.1, L/N)): finite-width corrections are of "
                                  "relative order L/N",
                    source=PENNINGTON))
        if "orthogonal" in inits:
            iso[pt[0]] = inits["orthogonal"][deepest["orthogonal"]]
        if "orthogonal" in inits and "gaussian" in inits:
            d = min(deepest["orthogonal"], deepest["gaussian"])
            out.append(stats.Claim(
                family="RQA", claim=f"{name} ({where}), L={d}: Gaussian weights are further "
                                    f"from isometry than orthogonal ones",
                kind="difference", metric=f"log(1 + sv2_var) at depth {d}, Gaussian − "
                                          f"orthogonal (independent draws: Welch)",
                values=spread(inits["gaussian"][d]), b=spread(inits["orthogonal"][d]),
                direction=+1, source=PENNINGTON + " (expected effect: theory's)",
                literature_effect=theory_difference(inits["gaussian"][d],
                                                    inits["orthogonal"][d])))
    if "relu" in iso and "tanh" in iso:
        out.append(stats.Claim(
            family="RQA", claim="ReLU is not isometric even with orthogonal weights: its "
                                "spectrum spreads more than critical tanh's",
            kind="difference", metric="log(1 + sv2_var) at the deepest depth, orthogonal ReLU − "
                                      "orthogonal tanh (Welch)",
            values=spread(iso["relu"]), b=spread(iso["tanh"]), direction=+1,
            literature_effect=theory_difference(iso["relu"], iso["tanh"]),
            source=PENNINGTON + " (expected effect: theory's)"))
    return out


def figures(s):
    """The figures of the module's header; notes go to s.notes."""
    inp, out, notes = s.inp, s.out, s.notes
    points, width = collect(s.runs)
    figs = []
    if points:
        p = fig_grad_norms(points, inp, out, notes)
        if p:
            figs.append((p, "Per-layer gradient norm at initialization relative to the last "
                            "layer, deepest network; dashed: mean-field χ^((L−l)/2). Note: "
                            "the batch-16 probe deviates from theory by up to ~2× in the "
                            "ordered phase and for ReLU (see the verdict)."))
        p = fig_jjt_hist(points, inp, out, notes)
        if p:
            figs.append((p, "Eigenvalues of JJᵀ at the deepest depth (log axis); theory marks "
                            "in the colour of their initialization."))
        figs.append((fig_vs_depth(points, out, "sv2_mean", "mean eigenvalue of JJᵀ",
                                  "rqa_sv2_mean_vs_depth.png",
                                  f"RQA: mean of JJᵀ's spectrum against depth (width {width}; "
                                  "bars: min–max over seeds; dashed: theory χ^L)"),
                     "Mean squared singular value against depth; theory χ^L dashed."))
        figs.append((fig_vs_depth(points, out, "sv2_var", "variance of JJᵀ's eigenvalues",
                                  "rqa_sv2_var_vs_depth.png",
                                  f"RQA: variance of JJᵀ's spectrum against depth (width {width}; "
                                  "bars: min–max over seeds; dashed: free-probability theory)"),
                     "Variance of the squared singular values against depth; theory dashed."))
    elif not rqa_rnn.collect(s.runs):
        notes.append("RQA: no mlp runs without errors; only the phase diagram can be drawn.")
    if points or inp.side_file("rqa_phase_diagram.json") or not rqa_rnn.collect(s.runs):
        p = fig_phase_diagram(inp, points, out, notes)
        if p:
            figs.append((p, "χ of tanh over (σ_w², σ_b²): blue ordered, red chaotic; the black "
                            "line is χ = 1; the dots are RQA's tanh operating points."))
    return figs + rqa_rnn.figures(s)


def verdicts(s):
    """The sentences of `sentences`, over the runs of the largest width."""
    points, width = collect(s.runs)
    used = tuple(r["name"] for inits in points.values() for bd in inits.values()
                 for rs in bd.values() for r in rs)
    return [Verdict(text=t, claim="dynamical isometry at initialization only where theory "
                                  "predicts it (Pennington et al. 2017, Schoenholz et al. 2017)",
                    runs=used) for t in sentences(points, width)] + rqa_rnn.verdicts(s)


def all_claims(s):
    """The MLP's claims and the RNN's (rqa_rnn.claims_of), one Holm family."""
    return claims_of(s) + rqa_rnn.claims_of(s)


FAMILY = Family(
    name="RQA", order=10,
    title="RQA — vanishing and exploding gradients at initialization",
    counters=["sv2_mean", "theory_sv2_mean", "sv2_var", "theory_sv2_var", "sv2_max",
              "theory_sv2_max", "sv_min", "cond", "grad_norm_ratio", "theory_chi",
              "log_sv2_mean", "theory_log_chi_product", "drive_mean", "theory_critical_gain",
              "theory_critical_gain_L"],
    figures=figures, verdicts=verdicts, claims=all_claims, tables=rqa_rnn.tables)
