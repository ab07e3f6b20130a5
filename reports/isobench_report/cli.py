"""`report.py --out DIR RESULTS.json|DIR [...]`: merges the inputs and writes DIR/report.md, the
figures (PNG) and one CSV per family table. Never raises on bad input: every problem is listed at
the top of the report, and whatever could be read is reported. Exit code 1 only when an input
could not be read."""
import argparse
import os
import sys
import traceback
from collections import OrderedDict, defaultdict

from . import fam_perf, fam_rqa, fam_rqb, fam_training, methods
from .checked_write import FAILED, write_file
from .inputs import gaps, load_inputs, warn
from .tables import family_table, md_table, write_csv

FAMILY_ORDER = ["RQA", "RQB", "RQC", "RQD", "RQE", "SEED", "SENT", "TASK", "PERF"]
FAMILY_TITLE = {
    "RQA": "RQA — vanishing and exploding gradients at initialization",
    "RQB": "RQB — convergence speed against depth (Saxe et al. 2013)",
    "RQC": "RQC — accuracy with and without dynamical isometry",
    "RQD": "RQD — can a hard orthogonality constraint hurt?",
    "RQE": "RQE — when does a soft orthogonality penalty pay?",
    "SEED": "SEED — the seed study's gain-adjusted orthogonal RNN",
    "SENT": "SENT — sentence sentiment with an LSTM",
    "TASK": "TASK — long-memory tasks",
    "PERF": "PERF — speed",
}
FAMILY_FIGURES = {
    "RQA": fam_rqa.figures,
    "RQB": fam_rqb.figures,
    "RQC": fam_training.figures_rqc,
    "RQD": fam_training.figures_rqd,
    "RQE": fam_training.figures_rqe,
    "SEED": fam_training.figures_seed,
    "SENT": fam_training.figures_seed,
    "TASK": fam_training.figures_task,
    "PERF": fam_perf.figures,
}


def header_lines(inp, inputs):
    c = inp.context
    md = [f"- isobench version: `{c.get('isobench_version', '?')}`, profile "
          f"`{c.get('profile', '?')}`, BLAS threads {c.get('blas_threads', '?')}, "
          f"host `{c.get('host_name', '?')}`, {c.get('num_cpus', '?')} CPUs, {c.get('date', '')}"]
    ds = c.get("datasets") or {}
    if isinstance(ds, dict):
        for k, v in ds.items():
            if not isinstance(v, dict):  # a results file from before content digests
                md.append(f"- dataset `{k}`: {v}")
                continue
            md.append(f"- dataset `{k}`: {v.get('description', '?')}")
            for fl in v.get("files") or []:
                if isinstance(fl, dict):
                    md.append(f"  - {fl.get('role', '?')}: `{fl.get('path', '?')}`, "
                              f"{fl.get('samples', '?')} samples, md5 of the decompressed bytes "
                              f"`{fl.get('md5') or 'unknown: ' + str(fl.get('md5_error'))}`")
    shards = sorted({str(x) for x in inp.shards if x and not str(x).endswith("/1")})
    if shards:
        md.append(f"- shards: {', '.join(shards)}")
    md.append(f"- inputs: {', '.join('`' + i + '`' for i in inputs)}; {len(inp.runs)} runs")
    if inp.merged_from:
        md.append("- merged from: " + ", ".join(
            f"`{m.get('input', '?')}` (shard {m.get('shard', '?')}, {m.get('runs', '?')} runs)"
            for m in inp.merged_from))
    return md


def family_section(fam, runs, inp, out):
    """The markdown lines of one family's section; writes its CSV and figures."""
    md = [f"## {FAMILY_TITLE.get(fam, fam)}", ""]
    nerr = sum(1 for b in runs.values() if b.get("error_occurred"))
    if nerr == len(runs):
        md += [f"Every run of {fam} failed ({nerr}); see *Runs that failed* above.", ""]
    figs, verdicts, notes = [], [], []
    fn = FAMILY_FIGURES.get(fam, fam_training.figures_generic)
    try:
        figs, verdicts, notes = fn(runs, inp, out)
    except Exception as e:  # a broken figure must not cost the rest of the report
        import matplotlib.pyplot as plt
        plt.close("all")
        tb = traceback.extract_tb(e.__traceback__)[-1]
        msg = (f"{fam} figures failed ({type(e).__name__}: {e}, at "
               f"{os.path.basename(tb.filename)}:{tb.lineno}); the table below is complete")
        inp.problems.add(msg)
        notes.append(msg + ".")
    for v in verdicts:
        md.append(f"**Verdict:** {v}")
        md.append("")
    for n in notes:
        md.append(f"> Note: {n}")
        md.append("")
    for path, caption in figs:
        md.append(f"![{fam}: {os.path.basename(path)}]({os.path.basename(path)})")
        md.append("")
        md.append(f"*{caption}*")
        md.append("")
    header, csv_header, rows = family_table(fam, runs)
    csv_path = os.path.join(out, f"{fam.lower()}_table.csv")
    write_csv(csv_path, csv_header, rows)
    md.append(f"Mean ± standard deviation over seeds ([{os.path.basename(csv_path)}]"
              f"({os.path.basename(csv_path)})):")
    md.append("")
    md.append(md_table(header, rows))
    md.append("")
    return md


def write_report(inputs, out):
    """Writes the report; returns the exit code (1 when an input could not be read or a file of
    the report could not be written)."""
    FAILED.clear()  # this report's failures only
    os.makedirs(out, exist_ok=True)
    inp = load_inputs(inputs)
    by_family = defaultdict(OrderedDict)
    for name, b in inp.runs.items():
        by_family[name.split("/")[0]][name] = b
    families = [f for f in FAMILY_ORDER if f in by_family] + \
        sorted(f for f in by_family if f not in FAMILY_ORDER)

    body = []
    for fam in families:
        body += family_section(fam, by_family[fam], inp, out)
        body += methods.sections(fam, by_family[fam], out, inp)  # user methods vs baselines
    absent = [f for f in FAMILY_ORDER if f not in by_family]
    inp.finish()
    for g in gaps(inp):
        inp.problems.add(g)

    md = ["# isobench report", ""] + header_lines(inp, inputs)
    if families:
        md.append(f"- families: {', '.join(families)}" +
                  (f"; not in the inputs: {', '.join(absent)}" if absent else ""))
    md.append("")
    if inp.problems:  # after the sections: figures add problems (missing traces) as they go
        md += ["## Problems with the inputs", ""] + [f"- {p}" for p in inp.problems] + [""]
    errored = [(n, b.get("error_message", "(no message)")) for n, b in inp.runs.items()
               if b.get("error_occurred")]
    if errored:
        md += ["## Runs that failed", ""] + [f"- `{n}`: {m}" for n, m in errored] + [""]
    if not families:
        md += ["No runs in the inputs: nothing to report." if not inp.problems else
               "No runs could be read from the inputs: nothing to report (see the problems "
               "above).", ""]
    md += body
    if FAILED:  # figures and CSVs that could not be written are named in the report too
        md += ["## Files that could not be written", ""] + \
              [f"- `{p}`: {r}" for p, r in FAILED] + [""]
    path = os.path.join(out, "report.md")

    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write("\n".join(md) + "\n")
    if write_file(path, write):
        warn(f"{path} ({len(families)} families, {len(inp.runs)} runs"
             + (f", {len(inp.problems)} problem(s) listed in it" if inp.problems else "") + ")")
    if FAILED:
        warn(f"{len(FAILED)} file(s) of the report could not be written (see above)")
    return 1 if (inp.problems.unreadable or FAILED) else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for report.md, PNGs and CSVs")
    ap.add_argument("inputs", nargs="+", help="results.json files or directories holding one")
    a = ap.parse_args(argv)
    try:
        return write_report(a.inputs, a.out)
    except OSError as e:  # the output directory itself is unusable
        warn(f"cannot write the report to `{a.out}`: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
