"""`report.py --out DIR RESULTS.json|DIR [...]`: merges the inputs and writes DIR/report.md, the
figures (PNG) and one CSV per family table. Never raises on bad input: every problem is listed at
the top of the report, and whatever could be read is reported. Exit code 1 only when an input
could not be read.

The families come from the modules of isobench_report/families/ (families.discover): their
order, titles, table columns, figures and verdicts; a family no module names gets
families.generic. `--reference DIR|RESULTS.json` adds, for each family present in both, the
section "FAM against the reference" (reference.py). See docs/REPORT.md."""
import argparse
import os
import sys
import traceback
from collections import OrderedDict, defaultdict

from . import families, methods, reference, stats, sweep_cost
from .checked_write import FAILED, write_file
from .inputs import FAMILY_KEYS, gaps, load_inputs, warn
from .tables import family_table, fmt, md_table, write_csv
from . import verdicts as V


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


def contained(what, fam, inp, notes, fn, suffix=""):
    """fn(), or None after noting its exception (type, message, file:line) in `notes` and the
    problems: a broken figure or verdict must not cost the rest of the report."""
    try:
        return fn()
    except Exception as e:
        import matplotlib.pyplot as plt
        plt.close("all")
        tb = traceback.extract_tb(e.__traceback__)[-1]
        msg = (f"{fam} {what} failed ({type(e).__name__}: {e}, at "
               f"{os.path.basename(tb.filename)}:{tb.lineno}){suffix}")
        inp.problems.add(msg)
        notes.append(msg + ".")
        return None


def family_section(family, runs, inp, out, judged=None):
    """The markdown lines of one family's section (a families.Family); writes its CSVs and
    figures. The family's judged claims (stats.Verdict) are appended to `judged` (for
    verdicts.json)."""
    fam = family.name
    md = [f"## {family.title}", ""]
    nerr = sum(1 for b in runs.values() if b.get("error_occurred"))
    if nerr == len(runs):
        md += [f"Every run of {fam} failed ({nerr}); see *Runs that failed* above.", ""]
    s = families.Section(name=fam, runs=runs, inp=inp, out=out)
    figs = contained("figures", fam, inp, s.notes, lambda: family.figures(s),
                     "; the table below is complete") or []
    extra = [] if family.tables is None else \
        contained("tables", fam, inp, s.notes, lambda: family.tables(s)) or []
    # The claims, judged together (stats.judge: Holm across the family's claims).
    mine = []
    if family.claims is not None:
        mine = contained("claims", fam, inp, s.notes,
                         lambda: stats.judge(family.claims(s))) or []
    for v in mine:
        md.append(f"**Verdict:** {V.render_judged(v)}")
        md.append("")
    observed = contained("observations", fam, inp, s.notes, lambda: family.verdicts(s)) or []
    for v in observed:
        md.append(f"**Observed:** {V.render(v, fmt)}")
        md.append("")
    for n in s.notes:
        md.append(f"> Note: {n}")
        md.append("")
    if mine:
        rows = V.table_rows(mine)
        csv_path = os.path.join(out, f"{fam.lower()}_verdicts.csv")
        write_csv(csv_path, V.CSV_HEADER, rows)
        md.append(f"Claims of {fam}, judged together (α = {stats.ALPHA}, Holm across the "
                  f"{len(mine)} claims; simultaneous = Bonferroni at α/{len(mine)}; mde at power "
                  f"{stats.POWER}) ([{os.path.basename(csv_path)}]({os.path.basename(csv_path)})):")
        md.append("")
        md.append(md_table(V.TABLE_HEADER, rows))
        md.append("")
        p = contained("verdict figure", fam, inp, s.notes, lambda: V.fig_effects(fam, mine, out))
        if p:
            figs = [(p, "Each claim's effect with its 95 % interval (thick) and simultaneous "
                        "interval (thin); green supported, red contradicted, grey "
                        "inconclusive; n in each title.")] + list(figs)
        if judged is not None:
            judged.extend(mine)
    for path, caption in figs:
        md.append(f"![{fam}: {os.path.basename(path)}]({os.path.basename(path)})")
        md.append("")
        md.append(f"*{caption}*")
        md.append("")
    for t in extra:
        csv_path = os.path.join(out, t.filename)
        write_csv(csv_path, list(t.csv_header or t.header), t.rows)
        md.append(f"{t.caption} ([{t.filename}]({t.filename})):")
        md.append("")
        md.append(md_table(t.header, t.rows))
        md.append("")
    header, csv_header, rows = family_table(family.counters, runs)
    csv_path = os.path.join(out, f"{fam.lower()}_table.csv")
    write_csv(csv_path, csv_header, rows)
    md.append(f"Mean ± standard deviation over seeds ([{os.path.basename(csv_path)}]"
              f"({os.path.basename(csv_path)})):")
    md.append("")
    md.append(md_table(header, rows))
    md.append("")
    return md


def write_report(inputs, out, known=None, reference_path=None):
    """Writes the report; returns the exit code (1 when an input or the reference could not be
    read or a file of the report could not be written). `known`: {name: Family} in report order
    (default: families.discover()). reference_path: a results.json or a directory holding one,
    overlaid per family (reference.py); None for none."""
    FAILED.clear()  # this report's failures only
    known = families.discover() if known is None else known
    FAMILY_KEYS.clear()
    FAMILY_KEYS.update({f.name: (tuple(f.key_order), dict(f.key_labels))
                        for f in known.values() if f.key_order or f.key_labels})
    os.makedirs(out, exist_ok=True)
    inp = load_inputs(inputs)
    ref = None
    if reference_path:
        ref = reference.load(reference_path, known)
        for p in ref.problems:
            inp.problems.add(p)
        inp.problems.unreadable += ref.inp.problems.unreadable  # exit 1, as for an input
    by_family = defaultdict(OrderedDict)
    for name, b in inp.runs.items():
        by_family[name.split("/")[0]][name] = b
    present = [f for f in known if f in by_family] + \
        sorted(f for f in by_family if f not in known)

    body, judged = [], []
    for fam in present:
        family = known.get(fam) or families.generic(fam)
        first = len(judged)
        body += family_section(family, by_family[fam], inp, out, judged)
        if ref is not None:
            body += reference.section(family, by_family[fam],
                                      [v.as_json() for v in judged[first:]], ref)
        # user methods vs baselines, on the runs the family's hook chooses
        body += methods.sections(fam, by_family[fam], out, inp, method_runs=family.method_runs,
                                 judged=judged)
    absent = [f for f in known if f not in by_family]
    inp.finish()
    for g in gaps(inp):
        inp.problems.add(g)

    md = ["# isobench report", ""] + header_lines(inp, inputs)
    if ref is not None:
        both = [f for f in present if f in ref.runs]
        only = sorted(f for f in ref.runs if f not in by_family)
        md.append(f"- reference: `{ref.path}` ({len(ref.inp.runs)} runs); set side by side for "
                  f"{', '.join(both) or 'no family'}" +
                  (f"; reference families not in this run: {', '.join(only)}" if only else ""))
    if present:
        md.append(f"- families: {', '.join(present)}" +
                  (f"; not in the inputs: {', '.join(absent)}" if absent else ""))
    md.append("")
    if inp.problems:  # after the sections: figures add problems (missing traces) as they go
        md += ["## Problems with the inputs", ""] + [f"- {p}" for p in inp.problems] + [""]
    errored = [(n, b.get("error_message", "(no message)")) for n, b in inp.runs.items()
               if b.get("error_occurred")]
    if errored:
        md += ["## Runs that failed", ""] + [f"- `{n}`: {m}" for n, m in errored] + [""]
    if not present:
        md += ["No runs in the inputs: nothing to report." if not inp.problems else
               "No runs could be read from the inputs: nothing to report (see the problems "
               "above).", ""]
    md += body
    if present:
        md += sweep_cost.section(inp.runs, inp.context)
    if FAILED:  # figures and CSVs that could not be written are named in the report too
        md += ["## Files that could not be written", ""] + \
              [f"- `{p}`: {r}" for p, r in FAILED] + [""]
    V.write_json(os.path.join(out, "verdicts.json"), judged)
    path = os.path.join(out, "report.md")

    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write("\n".join(md) + "\n")
    if write_file(path, write):
        warn(f"{path} ({len(present)} families, {len(inp.runs)} runs"
             + (f", {len(inp.problems)} problem(s) listed in it" if inp.problems else "") + ")")
    if FAILED:
        warn(f"{len(FAILED)} file(s) of the report could not be written (see above)")
    return 1 if (inp.problems.unreadable or FAILED) else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for report.md, PNGs and CSVs")
    ap.add_argument("--reference", metavar="DIR_OR_RESULTS_JSON",
                    help="a reference run to set beside this one, per family (its verdicts.json "
                         "is shown as recorded when it sits next to its results.json)")
    ap.add_argument("inputs", nargs="+", help="results.json files or directories holding one")
    a = ap.parse_args(argv)
    try:
        return write_report(a.inputs, a.out, reference_path=a.reference)
    except OSError as e:  # the output directory itself is unusable
        warn(f"cannot write the report to `{a.out}`: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
