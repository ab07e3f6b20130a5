#!/usr/bin/env python3
"""Build the results.json of one `isobench bench` run (one output directory, one shard).

Two sources:
- run logs (what `isobench bench` uses): --runs DIR holds BIN.jsonl, appended by each benchmark
  binary as runs finish (a {"context": ...} line per process, then one line per run; see
  benchmarks/common/bench_main.cpp); --selection DIR holds BIN.txt, the names the run selected
  (`--benchmark_list_tests`, one per line). A run's latest record wins, so a log holding an
  interrupted attempt and its `--resume` gives the same results.json as an uninterrupted run:
  entries come in selection order (binaries by file name, then registration order), the context
  is the first binary's latest one, and the process-local family_index/per_family_instance_index
  are left out. Selected runs without a record are listed in context["runs_missing"] (exit 1).
- Google Benchmark JSON files (positional PARTS, e.g. --benchmark_out files): entries in order,
  the first file's context.

Either way: names lose Google Benchmark's "/iterations:1" suffix (CONTRACT.md names do not carry
it), context gets "profile", "shard", "filter", "runs_expected" and "datasets" (from
$ISOBENCH_OUT/datasets.jsonl: per dataset a description and the files read, each with its role,
sample count and the md5 of its decompressed bytes). A shard (--shard) whose
selection directory has all/BIN.txt (the selection of every shard) also gets "sweep_order": those
names in order, by which reports/merge_shards.py puts merged shards back in a single run's order.

Write errors: what a binary could not write (its run records' "write_errors", the side files
runs/BIN.jsonl.write_errors, and --write-failed BIN for a binary that exited 3 without a record
of why) is listed in context["write_errors"] as {"path", "reason"[, "run"]}; context["complete"]
is true only when nothing is listed there, no selected run is missing and every dataset role was
read from one content (else context["dataset_conflicts"]: e.g. a sweep resumed with another
ISOBENCH_DATA_DIR). results.json is written to a temporary file and renamed, so a failed write
leaves the earlier results.json as it was.

Exit 1 when a part is not valid JSON, a selected run has no result, a run reported an error,
an output could not be written or the runs read different data; exit 3 when results.json itself
could not be written."""
import argparse
import gzip
import hashlib
import json
import math
import os
import sys
import zlib

ITER_SUFFIX = "/iterations:1"
# Process-local indices: they depend on which other runs shared the process.
PROCESS_LOCAL = ("family_index", "per_family_instance_index")
# Fields of a run record that are text, never numbers written as strings.
TEXT_FIELDS = {"name", "run_name", "run_type", "aggregate_name", "aggregate_unit", "error_message",
               "time_unit", "label"}
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def strip_iter(name):
    return name[: -len(ITER_SUFFIX)] if isinstance(name, str) and name.endswith(ITER_SUFFIX) else name


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
            print(f"merge: {p}: not valid JSON ({e}); skipped — rerun that family", file=sys.stderr)
            bad = 1
            continue
        if context is None:
            context = d.get("context", {})
        entries.extend(clean_entry(b) for b in d.get("benchmarks", []))
    return context, entries, bad


def read_lines(path):
    """The JSON objects of a .jsonl file; lines that do not parse (a killed writer) are skipped."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if isinstance(r, dict):
                    out.append(r)
    except OSError:
        pass
    return out


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


def read_runlogs(runs_dir, selection_dir, write_failed=()):
    """(context, entries, missing, expected, write_errors) from run logs, in selection order."""
    context, entries, missing, expected, outside = None, [], [], 0, 0
    write_errors = []
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
    if outside:
        print(f"merge: {outside} record(s) in {runs_dir} belong to runs outside this selection "
              f"(an earlier sweep with another filter or shard); left out", file=sys.stderr)
    return context, entries, missing, expected, write_errors


def replace_file(path, write):
    """write(path + ".tmp"), then rename it to path: None, or "FILE: the system's reason" after
    removing the temporary file (path is left as it was). Shared with merge_shards.py."""
    tmp = path + ".tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
        return None
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        return f"{e.filename or tmp}: {e.strerror or e}"


def write_results(path, data):
    """Writes data to path through a temporary file; on failure prints the path and the system's
    reason, leaves path as it was, and returns False."""
    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
    err = replace_file(path, dump)
    if err:
        print(f"merge: cannot write {err} — {path} was left as it was; free space or raise the "
              f"limit, then rerun (./isobench bench --resume)", file=sys.stderr)
    return err is None


def content_md5(path, cache):
    """(md5 hex of the file's decompressed bytes, None) or (None, reason); cached per path.
    gzip.open reads concatenated members as gunzip does, like the C++ reader."""
    if path not in cache:
        h = hashlib.md5()
        try:
            with open(path, "rb") as raw:
                gz = raw.read(2) == b"\x1f\x8b"
            with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            cache[path] = (h.hexdigest(), None)
        except (OSError, EOFError, zlib.error) as e:
            cache[path] = (None, str(e))
    return cache[path]


def read_datasets(path):
    """context["datasets"]: per dataset {"description": text, "files": [{"role", "path",
    "samples", "md5"}]} from the runs' notes; md5 is of the decompressed bytes (what the runs
    read), so the same data compares equal wherever and however compressed it is. A note without
    files (an older binary) keeps its description only."""
    datasets, cache = {}, {}
    for r in read_lines(path) if path else []:
        name = r.get("dataset")
        if not isinstance(name, str) or "files" not in r:
            continue
        entry = datasets.setdefault(name, {"description": r["files"], "files": []})
        entry["description"] = r["files"]
        for src in r.get("sources") or []:
            if not isinstance(src, dict) or not isinstance(src.get("path"), str):
                continue
            if any(f["path"] == src["path"] and f["role"] == src.get("role") for f in entry["files"]):
                continue
            md5, err = content_md5(src["path"], cache)
            f = {"role": src.get("role"), "path": src["path"], "samples": src.get("samples"),
                 "md5": md5}
            if err:
                f["md5_error"] = err
                print(f"merge: dataset {name}: cannot read {src['path']} for its digest ({err}); "
                      f"results.json records no md5 for it", file=sys.stderr)
            entry["files"].append(f)
    return datasets


def dataset_conflicts(datasets):
    """Why a dataset's runs read different data: a file role (e.g. "train images") recorded with
    two different digests within one sweep. [] when every role has one digest."""
    out = []
    for name, entry in sorted(datasets.items()):
        by_role = {}
        for f in entry.get("files", []) if isinstance(entry, dict) else []:
            if f.get("md5"):
                by_role.setdefault(str(f.get("role")), {})[f["md5"]] = f.get("path")
        for role, seen in sorted(by_role.items()):
            if len(seen) > 1:
                out.append(f"{name} {role}: " + ", ".join(
                    f"{p} (md5 {m})" for m, p in sorted(seen.items())))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    a = ap.parse_args()
    if bool(a.runs) != bool(a.selection):
        ap.error("--runs and --selection go together")

    context, entries, bad = read_parts(a.parts)
    missing, expected, write_errors = [], None, []
    if a.runs:
        lcontext, lentries, missing, expected, write_errors = read_runlogs(
            a.runs, a.selection, set(a.write_failed))
        context = lcontext or context
        entries += lentries
    context = dict(context or {})
    if "isobench_version" not in context and os.environ.get("ISOBENCH_VERSION"):
        context["isobench_version"] = os.environ["ISOBENCH_VERSION"]  # no binary ran
    built = context.get("profile")
    if built and built != a.profile:
        print(f"merge: the binaries were built for profile '{built}' but the run asked for "
              f"'{a.profile}'; results.json records '{built}'", file=sys.stderr)
        bad = 1
    context["profile"] = built or a.profile
    if a.shard:
        context["shard"] = a.shard
    if a.filter is not None:
        context["filter"] = a.filter
    if expected is not None:
        context["runs_expected"] = expected
        context["runs_missing"] = missing
    whole = os.path.join(a.selection, "all") if a.selection else ""
    if a.shard and os.path.isdir(whole):
        # Every shard records the order of the whole selection; merge_shards.py sorts by it.
        order = []
        for f in sorted(x for x in os.listdir(whole) if x.endswith(".txt")):
            with open(os.path.join(whole, f)) as fh:
                order += [strip_iter(line.strip()) for line in fh if line.strip()]
        context["sweep_order"] = order
    context["datasets"] = read_datasets(a.datasets)
    conflicts = dataset_conflicts(context["datasets"])
    if conflicts:
        # e.g. a sweep resumed with another ISOBENCH_DATA_DIR: its runs are not comparable.
        context["dataset_conflicts"] = conflicts
    context["write_errors"] = write_errors
    context["complete"] = not write_errors and not missing and not conflicts
    written = write_results(a.out, {"context": context, "benchmarks": entries})
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


if __name__ == "__main__":
    sys.exit(main())
