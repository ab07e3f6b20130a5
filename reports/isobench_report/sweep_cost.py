"""The report's section "What the sweep cost": per family, the committed cost table's estimate
(sweep/isobench_sweep/costs.py, the estimate `bench --list` prints) against the measured sum of
the runs' real_time, and their ratio.

A training run is one iteration (Google Benchmark's iterations:1), so its real_time is its whole
wall time. PERF runs iterate and report the time of one iteration, not the run's: PERF is left
out of the comparison and the section says so. Failed runs are left out too (they stopped early).
The estimate is for the profile and MNIST size the results' context records, on the machine that
measured the table; runs co-running under `--jobs N > 1` take longer than alone.
Never raises: a missing or broken cost table becomes the section's one line.
"""
import os

from isobench_sweep import costs

from .inputs import time_ms

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mnist_of(context):
    """'10k' or 'full' from the context's MNIST training file (None when not recorded)."""
    mnist = context.get("datasets") if isinstance(context.get("datasets"), dict) else {}
    mnist = mnist.get("mnist")
    files = mnist.get("files") if isinstance(mnist, dict) else None
    for f in files if isinstance(files, list) else []:
        if isinstance(f, dict) and f.get("role") == "train images" and \
                isinstance(f.get("samples"), int):
            return "full" if f["samples"] >= 60000 else "10k"
    return None


def section(runs, context, root=_ROOT):
    """Markdown lines of the section for runs ({name: Google Benchmark entry}, report order)."""
    md = ["## What the sweep cost: estimate against measured", ""]
    profile = context.get("profile") or "quick"
    try:
        # The table the sweep used: $ISOBENCH_COSTS when set, else the committed one.
        table = costs.load(root, profile, mnist_of(context),
                           os.environ.get("ISOBENCH_COSTS") or None)
    except costs.CostTableError as e:
        return md + [f"No estimate: {e}", ""]
    rows, per = [], {}
    perf = 0
    for name, b in runs.items():
        fam = name.split("/")[0]
        if fam == "PERF":
            perf += 1
            continue
        ms = time_ms(b)  # a training run's whole wall time (one iteration)
        if b.get("error_occurred") or ms is None:
            continue
        try:
            est = table.estimate(name)
        except costs.CostTableError:
            est = None
        f = per.setdefault(fam, [0, 0.0, 0.0, 0])
        f[0] += 1
        f[2] += ms / 1e3
        if est is None:
            f[3] += 1
        else:
            f[1] += est
    tot = [0, 0.0, 0.0]
    for fam, (n, est, meas, missing) in per.items():
        ratio = f"{meas / est:.2f}" if est > 0 else "—"
        note = f" ({missing} without an estimate)" if missing else ""
        rows.append(f"| {fam} | {n}{note} | {costs.human(est)} | {costs.human(meas)} | {ratio} |")
        tot = [tot[0] + n, tot[1] + est, tot[2] + meas]
    md.append(f"Estimated CPU time (the table `{os.path.relpath(table.path, root)}`, {profile} "
              f"profile, "
              f"{'full MNIST' if table.mnist == 'full' else 'the 10k MNIST digits'}) against "
              f"the measured sum of each run's real_time; ratio = measured / estimate.")
    md.append("")
    md += ["| family | runs | estimate | measured | ratio |", "|---|---|---|---|---|"] + rows
    if tot[0]:
        md.append(f"| total | {tot[0]} | {costs.human(tot[1])} | {costs.human(tot[2])} | "
                  f"{tot[2] / tot[1]:.2f} |" if tot[1] > 0 else "| total | — | — | — | — |")
    md.append("")
    if perf:
        md.append(f"PERF ({perf} runs) is left out: its real_time is the time of one iteration, "
                  f"not of the run.")
    jobs = context.get("jobs")
    if isinstance(jobs, (int, str)) and str(jobs) not in ("", "1"):
        md.append(f"These runs ran {jobs} at a time (`--jobs {jobs}`): co-running inflates "
                  f"wall times, so the ratio overstates the cost of a run alone.")
    md.append("")
    return md
