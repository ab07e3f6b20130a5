"""Per-configuration tables: mean ± standard deviation over seeds of a family's key counters,
as markdown (for report.md) and CSV (one file per table; mean and std in separate columns)."""
import csv

from .checked_write import write_file
from .inputs import groups_by_config, mean_spread, value

# The table columns of a family no module of families/ names (families.generic); each family
# module lists its own (Family.counters).
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


def family_table(wanted, runs):
    """(header, csv header, rows) of the counters `wanted` (a family's key counters, in order;
    those no run without error reports are left out). One row per configuration: its name
    without the seed, the number of seeds that ran without error, then mean ± std of each
    counter. A row is (markdown cells, csv cells)."""
    groups = groups_by_config(runs)
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
