"""Build the results.json of one `isobench bench` run (one output directory, one shard).

Two sources:
- run logs (what `isobench bench` uses): --runs DIR holds BIN.jsonl, appended by each benchmark
  binary as runs finish (a {"context": ...} line per process, then one line per run; see
  benchmarks/common/bench_main.cpp); --selection DIR holds BIN.txt, the names the run selected
  (`--benchmark_list_tests`, one per line). A run's latest record wins, so a log holding an
  interrupted attempt and its `--resume` gives the same results.json as an uninterrupted run:
  entries come in selection order (binaries by file name, then registration order), the context
  is the first binary's latest one (with "jobs", the largest of every process's: runs beside
  others take longer; bench_main.cpp), and the process-local family_index/per_family_instance_index
  are left out. Selected runs without a record are listed in context["runs_missing"] (exit 1).
- Google Benchmark JSON files (positional PARTS, e.g. --benchmark_out files): entries in order,
  the first file's context.

Either way: names lose Google Benchmark's "/iterations:1" suffix (docs/CONTRACT.md names do not
carry it), context gets "profile", "shard", "filter", "runs_expected" and "datasets" (from
$ISOBENCH_OUT/datasets.jsonl: per dataset a description and the files read, each with its role,
sample count and the md5 of its decompressed bytes). A shard (--shard) whose
selection directory has all/BIN.txt (the selection of every shard) also gets "sweep_order": those
names in order, by which merge_shards.py puts merged shards back in a single run's order.

Write errors: what a binary could not write (its run records' "write_errors", the side files
runs/BIN.jsonl.write_errors, and --write-failed BIN for a binary that exited 3 without a record
of why) is listed in context["write_errors"] as {"path", "reason"[, "run"]}; context["complete"]
is true only when nothing is listed there, no selected run is missing and every dataset role was
read from one content (else context["dataset_conflicts"]: e.g. a sweep resumed with another
ISOBENCH_DATA_DIR). results.json is written to a temporary file and renamed (write_checks.py),
so a failed write leaves the earlier results.json as it was.

Exit 1 when a part is not valid JSON, a selected run has no result, a run reported an error,
an output could not be written or the runs read different data; exit 3 when results.json itself
could not be written."""
import argparse
import json
import math
import os
import sys

from .binaries import ITER_SUFFIX, strip_iter  # noqa: F401 (ITER_SUFFIX: re-exported)
from .datasets import dataset_conflicts, read_datasets
from .runlog import read_lines
from .write_checks import write_results

# Process-local indices: they depend on which other runs shared the process.
PROCESS_LOCAL = ("family_index", "per_family_instance_index")
# Fields of a run record that are text, never numbers written as strings.
TEXT_FIELDS = {"name", "run_name", "run_type", "aggregate_name", "aggregate_unit", "error_message",
               "time_unit", "label"}
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def clean_entry(b):
    for key in ("name", "run_name"):
        b[key] = strip_iter(b.get(key))
    return b


def read_parts(parts):
    """(context, entries, bad) from Google Benchmark JSON files."""
    context, entries, bad = None, [], 0
    for p in parts:
        if not os.path.exists(p):
            continue
        try:
            with open(p) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            print(f"merge: {p}: not valid JSON ({e}); skipped — rerun that family",
                  file=sys.stderr)
            bad = 1
            continue
        if context is None:
            context = d.get("context", {})
        entries.extend(clean_entry(b) for b in d.get("benchmarks", []))
    return context, entries, bad


def run_record(r):
    """A run-log line as a results entry: non-finite numbers back to floats, no process indices."""
    b = {}
    for k, v in r.items():
        if k in PROCESS_LOCAL:
            continue
        if k not in TEXT_FIELDS and isinstance(v, str) and v in NON_FINITE:
            v = NON_FINITE[v]
        b[k] = v
    return clean_entry(b)


def jobs_of(context):
    """A process's "jobs" (runs at once in its sweep; 1 for binaries older than --jobs)."""
    try:
        return max(1, int(context.get("jobs", 1)))
    except (TypeError, ValueError):
        return 1


def read_runlogs(runs_dir, selection_dir, write_failed=()):
    """(context, entries, missing, expected, write_errors) from run logs, in selection order."""
    context, entries, missing, expected, outside = None, [], [], 0, 0
    write_errors, jobs = [], []
    bins = sorted(f[: -len(".txt")] for f in os.listdir(selection_dir) if f.endswith(".txt"))
    for binary in bins:
        with open(os.path.join(selection_dir, binary + ".txt")) as f:
            names = [strip_iter(line.strip()) for line in f if line.strip()]
        order = {n: i for i, n in enumerate(names)}
        expected += len(names)
        latest, bin_context = {}, None  # (run_name, repetition_index, aggregate_name) -> record
        for r in read_lines(os.path.join(runs_dir, binary + ".jsonl")):
            if isinstance(r.get("context"), dict):
                bin_context = r["context"]
                jobs.append(jobs_of(bin_context))
                continue
            if not isinstance(r.get("run_name"), str):
                continue
            b = run_record(r)
            if b["run_name"] not in order:
                outside += 1
                continue
            key = (b["run_name"], b.get("repetition_index"), b.get("aggregate_name"))
            latest.pop(key, None)  # the newest attempt's records keep their own order
            latest[key] = b
        if context is None and bin_context is not None:
            context = bin_context
        done = {k[0] for k in latest}
        missing.extend(n for n in names if n not in done)
        ordered = sorted(latest.values(), key=lambda b: order[b["run_name"]])
        entries.extend(ordered)
        found = len(write_errors)
        for b in ordered:
            for e in b.get("write_errors") or []:
                if isinstance(e, dict):
                    write_errors.append({"path": e.get("path"), "reason": e.get("reason"),
                                         "run": b["run_name"]})
        for e in read_lines(os.path.join(runs_dir, binary + ".jsonl.write_errors")):
            write_errors.append({"path": e.get("path"), "reason": e.get("reason")})
        if binary in write_failed and len(write_errors) == found:
            write_errors.append({"path": binary, "reason": "a write failed (exit status 3) and "
                                 "could not be recorded; see its messages on stderr"})
    if context is not None and jobs:
        # Processes of one log do not tell which of their runs ran beside others: the largest.
        context = dict(context, jobs=str(max(jobs)))
    if outside:
        print(f"merge: {outside} record(s) in {runs_dir} belong to runs outside this selection "
              f"(an earlier sweep with another filter or shard); left out", file=sys.stderr)
    return context, entries, missing, expected, write_errors


def merge(out, profile="quick", shard="", filter_=None, runs="", selection="", datasets="",
          write_failed=(), parts=(), identity=None):
    """Writes results.json to out from the run logs in runs/ (with the selections in selection/)
    and/or Google Benchmark JSON files parts; prints every problem on stderr. Returns 0 (written,
    no problem), 1 (written, with problems said above) or 3 (results.json not written)."""
    context, entries, bad = read_parts(parts)
    missing, expected, write_errors = [], None, []
    if runs:
        lcontext, lentries, missing, expected, write_errors = read_runlogs(
            runs, selection, set(write_failed))
        context = lcontext or context
        entries += lentries
    context = dict(context or {})
    if "isobench_version" not in context and os.environ.get("ISOBENCH_VERSION"):
        context["isobench_version"] = os.environ["ISOBENCH_VERSION"]  # no binary ran
    built = context.get("profile")
    if built and built != profile:
        print(f"merge: the binaries were built for profile '{built}' but the run asked for "
              f"'{profile}'; results.json records '{built}'", file=sys.stderr)
        bad = 1
    context["profile"] = built or profile
    if shard:
        context["shard"] = shard
    # How a shard was split (shard_mode; balanced: cost_table and shard_selection digests).
    context.update(identity or {})
    if filter_ is not None:
        context["filter"] = filter_
    if expected is not None:
        context["runs_expected"] = expected
        context["runs_missing"] = missing
    whole = os.path.join(selection, "all") if selection else ""
    if shard and os.path.isdir(whole):
        # Every shard records the order of the whole selection; merge_shards.py sorts by it.
        order = []
        for f in sorted(x for x in os.listdir(whole) if x.endswith(".txt")):
            with open(os.path.join(whole, f)) as fh:
                order += [strip_iter(line.strip()) for line in fh if line.strip()]
        context["sweep_order"] = order
    context["datasets"] = read_datasets(datasets)
    conflicts = dataset_conflicts(context["datasets"])
    if conflicts:
        # e.g. a sweep resumed with another ISOBENCH_DATA_DIR: its runs are not comparable.
        context["dataset_conflicts"] = conflicts
    context["write_errors"] = write_errors
    context["complete"] = not write_errors and not missing and not conflicts
    written = write_results(out, {"context": context, "benchmarks": entries})
    for e in write_errors:
        print(f"merge: not written: {e['path']}: {e['reason']}"
              + (f" (run {e['run']})" if e.get("run") else ""), file=sys.stderr)
    for c in conflicts:
        print(f"merge: MIXED DATA: {c} — the runs of this sweep did not all read the same "
              f"files; rerun it afresh (without --resume) with one data location", file=sys.stderr)
    if write_errors and written:
        print(f"merge: {len(write_errors)} output(s) could not be written; results.json says "
              f"complete: false", file=sys.stderr)
    errors = [b["name"] for b in entries if b.get("error_occurred")]
    for n in errors:
        print(f"merge: run failed: {n}", file=sys.stderr)
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        print(f"merge: {len(missing)} selected run(s) have no result ({shown}); "
              f"rerun with --resume to run only those", file=sys.stderr)
    if not written:
        return 3  # the driver tells "results.json not written" from "written, with problems"
    return 1 if (bad or errors or missing or write_errors or conflicts) else 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="merge_results.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the results.json to write")
    ap.add_argument("--datasets", default="", help="datasets.jsonl noted by the runs")
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--shard", default="", help="I/K of this run (default: the binaries' own)")
    ap.add_argument("--filter", default=None, help="the --filter the run used (recorded)")
    ap.add_argument("--runs", default="", help="directory of run logs BIN.jsonl")
    ap.add_argument("--selection", default="", help="directory of selections BIN.txt")
    ap.add_argument("--write-failed", action="append", default=[], metavar="BIN",
                    help="a binary that exited 3 (a write failed); noted if it left no record")
    ap.add_argument("parts", nargs="*", help="Google Benchmark JSON files")
    a = ap.parse_args(argv)
    if bool(a.runs) != bool(a.selection):
        ap.error("--runs and --selection go together")

    return merge(a.out, a.profile, a.shard, a.filter, a.runs, a.selection, a.datasets,
                 a.write_failed, a.parts)
