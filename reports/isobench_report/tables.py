"""Per-configuration tables: mean ± standard deviation over seeds of a family's key counters,
as markdown (for report.md) and CSV (one file per table; mean and std in separate columns)."""
import csv

from .checked_write import write_file
from .inputs import groups_by_config, mean_spread, value

# Counters shown in each family's table, in order (those present in some run are shown).
KEY_COUNTERS = {
    "RQA": ["sv2_mean", "theory_sv2_mean", "sv2_var", "theory_sv2_var", "sv2_max",
            "theory_sv2_max", "sv_min", "cond", "grad_norm_ratio", "theory_chi"],
    "RQB": ["steps_to_target", "lr_best", "converged", "diverged", "step_budget"],
    "RQC": ["final_acc", "test_acc", "best_val_acc", "steps_to_target", "converged", "diverged",
            "sv2_var", "grad_norm_ratio", "train_seconds"],
    "RQD": ["best_val_acc", "test_acc", "steps_to_target", "epoch_seconds", "train_seconds",
            "ortho_err", "kernel_sv_mean", "kernel_sv_std", "kernel_sv_min", "kernel_sv_max",
            "diverged"],
    "RQE": ["best_val_acc", "test_acc", "steps_to_target", "ortho_err", "train_seconds",
            "diverged"],
    "SEED": ["best_val_acc", "final_acc", "test_acc", "kernel_sv_mean", "kernel_sv_std",
             "kernel_sv_min", "kernel_sv_max", "ortho_err", "epoch_seconds", "diverged"],
    "SENT": ["best_val_acc", "final_acc", "test_acc", "kernel_sv_mean", "kernel_sv_std",
             "kernel_sv_min", "kernel_sv_max", "ortho_err", "epoch_seconds", "diverged"],
    "TASK": ["final_loss", "baseline_loss", "steps_to_target", "converged", "diverged",
             "final_acc", "test_acc", "epoch_seconds", "train_seconds"],
    "PERF": ["gflops", "time_ms", "epoch_seconds"],
}
DEFAULT_COUNTERS = ["steps_to_target", "best_val_acc", "final_acc", "test_acc", "final_loss",
                    "baseline_loss", "ortho_err", "kernel_sv_mean", "kernel_sv_std",
                    "epoch_seconds", "train_seconds", "converged", "diverged"]


def fmt(v):
    """A number at a readable precision; '—' for None."""
    if v is None:
        return "—"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.4g}"


def family_table(fam, runs):
    """(header, rows, counters shown). One row per configuration: its name without the seed,
    the number of seeds that ran without error, then mean ± std of each key counter. A row is
    (markdown cells, csv cells)."""
    groups = groups_by_config(runs)
    wanted = KEY_COUNTERS.get(fam, DEFAULT_COUNTERS)
    present = [c for c in wanted if any(value(b, c) is not None and not b.get("error_occurred")
                                        for items in groups.values() for _, b in items)]
    header = ["configuration", "seeds"] + present
    csv_header = ["configuration", "seeds", "errored"] + \
        [x for c in present for x in (c, c + "_std")]
    rows = []
    for cfg, items in groups.items():
        ok = [b for _, b in items if not b.get("error_occurred")]
        nerr = len(items) - len(ok)
        row = [cfg, str(len(ok)) + (f" ({nerr} failed)" if nerr else "")]
        raw = [cfg, len(ok), nerr]
        for c in present:
            m, s, n = mean_spread([value(b, c) for b in ok])
            row.append("—" if m is None else (fmt(m) if n < 2 else f"{fmt(m)} ± {fmt(s)}"))
            raw += ["" if m is None else m, "" if m is None or n < 2 else s]
        rows.append((row, raw))
    return header, csv_header, rows


def write_csv(path, csv_header, rows):
    """Writes the CSV (checked_write: a failure is noted, printed and leaves no partial file)."""
    def write(tmp):
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(csv_header)
            for _, raw in rows:
                w.writerow(raw)
    write_file(path, write)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, _ in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(out)
