"""Shared figure helpers: one style, seed bands on a common step grid, saving."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .checked_write import write_file  # noqa: E402

DPI = 110
INIT_COLORS = {"orthogonal": "#d62728", "gaussian": "#1f77b4", "glorot_uniform": "#2ca02c",
               "glorot_normal": "#17becf", "he": "#9467bd", "identity": "#ff7f0e"}

plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8,
                     "axes.grid": True, "grid.alpha": 0.3})


def colors(n):
    """n distinguishable colours (tab10, then tab20)."""
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def tight(fig):
    """Layout of a figure with a suptitle and maybe legends beside panels: matplotlib's
    constrained layout, which makes room for both (tight_layout does not, consistently)."""
    fig.set_layout_engine("constrained", w_pad=0.06, h_pad=0.06)


def save(fig, out, filename):
    path = os.path.join(out, filename)
    fmt = os.path.splitext(filename)[1].lstrip(".") or "png"
    try:  # the temporary name has no image extension: name the format
        write_file(path, lambda tmp: fig.savefig(tmp, dpi=DPI, format=fmt))
    finally:
        plt.close(fig)
    return path


def subplots_grid(n, ncols=3, panel=(4.0, 3.0), **kw):
    """A grid of n panels (unused ones hidden); returns (fig, flat list of n axes)."""
    ncols = max(1, min(ncols, n))
    nrows = int(math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             squeeze=False, **kw)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def spans_decades(values, decades=2.0):
    """True when the positive values span more than `decades` orders of magnitude."""
    v = [x for x in values if x is not None and np.isfinite(x) and x > 0]
    return len(v) >= 2 and math.log10(max(v) / min(v)) > decades


def seed_band(curves):
    """Mean and std over seeds of curves [(x, y), ...] on a common grid: the union of their x,
    each curve interpolated linearly and used only inside its own x range (a run that stopped
    early, e.g. diverged, does not drag the others). Returns (grid, mean, std, count)."""
    curves = [(np.asarray(x, float), np.asarray(y, float)) for x, y in curves if len(x) > 0]
    if not curves:
        return np.array([]), np.array([]), np.array([]), np.array([])
    grid = np.unique(np.concatenate([x for x, _ in curves]))
    vals = np.full((len(curves), len(grid)), np.nan)
    for i, (x, y) in enumerate(curves):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        inside = (grid >= x[0]) & (grid <= x[-1])
        vals[i, inside] = np.interp(grid[inside], x, y)
    count = np.sum(np.isfinite(vals), axis=0)
    import warnings
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns with < 2 seeds
        mean = np.nanmean(vals, axis=0)
        std = np.nanstd(vals, axis=0, ddof=1) if len(curves) > 1 else np.zeros(len(grid))
    std = np.where(count > 1, std, 0.0)
    return grid, mean, std, count


def plot_band(ax, curves, color, label, logy=False):
    """Mean line over seeds with the 95 % t interval of the mean as a band (where ≥ 2 seeds
    have a point), n in the label; returns True if something was drawn."""
    import warnings
    from scipy import stats as sst
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: nothing to average
        grid, mean, std, count = seed_band(curves)
    if len(grid) == 0:
        return False
    n = int(max(count)) if len(count) else 0
    ax.plot(grid, mean, color=color, lw=1.4, label=f"{label} (n={n})" if n > 1 else label)
    if n > 1:
        cnt = np.asarray(count, float)
        with np.errstate(invalid="ignore", divide="ignore"):
            half = np.where(cnt > 1, sst.t.ppf(0.975, np.maximum(cnt - 1, 1)) * std /
                            np.sqrt(np.maximum(cnt, 1)), 0.0)
        lo, hi = mean - half, mean + half
        if logy:
            lo = np.where(lo > 0, lo, mean * 0.5)
        ax.fill_between(grid, lo, hi, color=color, alpha=0.18, lw=0)
    return True


def tidy_log_axis(ax, axis="y"):
    """On a log axis spanning less than two decades, label ticks as plain numbers (0.9, 2, 5)
    instead of 9×10⁻¹ or nothing at all."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    a = ax.yaxis if axis == "y" else ax.xaxis
    if not (lo > 0 and hi / lo < 100):
        return
    f = FuncFormatter(lambda v, _: f"{v:g}")
    if hi / lo < 4:
        a.set_major_formatter(f)
        a.set_minor_formatter(f)
    else:
        a.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        a.set_major_formatter(f)
        a.set_minor_formatter(NullFormatter())


def depth_axis(ax, depths):
    """Log₂ depth axis with ticks at the depths that ran, labelled as plain numbers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ds = sorted({float(d) for d in depths if d and d > 0})
    ax.set_xscale("log", base=2)
    if ds:
        ax.xaxis.set_major_locator(FixedLocator(ds))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("depth L (weight matrices)")


def read_chi_grid(inp, basename, xkey, ykey, writer, what, notes):
    """A phase-diagram side file (χ over a len(y) × len(x) grid, written by the run `writer`):
    (the JSON, x, y, chi) as arrays, or None with a note saying why `what` is skipped."""
    import json
    path = inp.side_file(basename)
    if path is None:
        notes.append(f"RQA: {basename} not found next to the inputs (written by {writer}); "
                     f"{what} is skipped.")
        return None
    try:
        with open(path) as fh:
            d = json.load(fh)
        x = np.asarray(d[xkey], float)
        y = np.asarray(d[ykey], float)
        chi = np.asarray(d["chi"], float)
        if chi.shape != (len(y), len(x)):
            raise ValueError(f"chi has shape {chi.shape}, expected ({len(y)}, {len(x)})")
    except (OSError, ValueError, KeyError, TypeError) as e:
        notes.append(f"RQA: `{path}` could not be read ({e}); {what} is skipped.")
        return None
    return d, x, y, chi


def chi_mesh(fig, ax, x, y, chi, label):
    """χ as a blue-red map centred on 1 (the critical value), its colour bar labelled `label`,
    and the contours 0.8 … 1.4."""
    from matplotlib.colors import TwoSlopeNorm
    lo, hi = float(np.nanmin(chi)), float(np.nanmax(chi))
    norm = TwoSlopeNorm(vcenter=1.0, vmin=min(lo, 0.99), vmax=max(hi, 1.01))
    mesh = ax.pcolormesh(x, y, chi, cmap="RdBu_r", norm=norm, shading="gouraud")
    fig.colorbar(mesh, ax=ax).set_label(label)
    cs = ax.contour(x, y, chi, levels=[0.8, 0.9, 1.1, 1.2, 1.4], colors="k", linewidths=0.5,
                    alpha=0.5)
    ax.clabel(cs, fontsize=7, fmt="%.1f")

