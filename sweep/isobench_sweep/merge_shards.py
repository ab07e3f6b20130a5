"""Merge the results of several `isobench bench` runs — typically the K shards of a sweep — into
one output directory that looks like a single-machine run: OUT/results.json and OUT/traces/.

usage: merge_shards.py --out OUT INPUT [INPUT ...]

An INPUT is a results.json or a directory holding one (its traces/ beside it). Each input's
context tells which shard it is ("shard": "I/K", written by `isobench bench --shard I/K`; a run
without --shard is "0/1") and which of its selected runs did not finish ("runs_missing").

Checked, each a problem printed to stderr and kept in OUT/results.json context["merge_problems"]:
- an input that cannot be read;
- shards of different sweeps: another K, profile or filter than the first input, or another
  split (context "shard_mode", "cost_table", "shard_selection": --shard-mode and its inputs);
- missing shards (some I in 0..K-1 absent) and shards given twice;
- duplicated runs: a name in two inputs (the first input's copy is kept);
- runs a shard selected but did not finish (rerun it with --resume).
A different isobench version or dataset between inputs is a warning only.

Entries come in the order of the whole sweep when the shards recorded it (context "sweep_order",
written by `isobench bench --shard`), so the merged report is a single run's; else input by input
(shards in shard order). The context is the first shard's that ran something, with
"shard" replaced by "merged_from" (input, shard and run count per input) and the datasets of every
input. Traces of the kept runs are hard-linked (else copied) into OUT/traces/, which is rebuilt.
Write errors: the inputs' context["write_errors"] are carried over, and a trace that cannot be
linked or copied into OUT/traces/ is added ({"path", "reason"}); context["complete"] is true only
when there is no write error and no problem. results.json goes through a temporary file and a
rename, so a failed write leaves an earlier OUT/results.json as it was (printed with the system's
reason, exit 1).
Exit 0 when there was no problem, 1 otherwise (the merged files are written all the same); 2 on
bad usage (e.g. OUT is one of the inputs)."""
import argparse
import json
import os
import shutil
import sys

# regress.py (the convergence check, reports/: on sys.path by this package's __init__) owns the
# rule "same data = same content digests".
from regress import dataset_difference

from .merge_runs import jobs_of
from .sharding import SPLIT_KEYS, absent, parse_recorded
from .traces import sanitize
from .write_checks import replace_file


def split_value(ctx, key):
    """A shard's split key; a shard recorded before --shard-mode was split by hash."""
    if key == "shard_mode":
        return ctx.get(key, "hash")
    return ctx.get(key, "")


def load(path):
    f = os.path.join(path, "results.json") if os.path.isdir(path) else path
    with open(f) as fh:
        d = json.load(fh)
    if not isinstance(d, dict) or not isinstance(d.get("benchmarks", []), list):
        raise ValueError("not a Google Benchmark results object")
    ctx = d.get("context") if isinstance(d.get("context"), dict) else {}
    return f, ctx, [b for b in d.get("benchmarks", []) if isinstance(b, dict)]


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def merge(out, inputs):
    problems, warnings = [], []
    loaded = []
    for p in inputs:
        try:
            f, ctx, entries = load(p)
        except FileNotFoundError:
            problems.append(f"{p}: no results.json there (a shard that never ran or wrote "
                            f"nothing?)")
            continue
        except (OSError, ValueError, UnicodeDecodeError) as e:
            problems.append(f"{p}: cannot be read ({e})")
            continue
        shard = parse_recorded(ctx.get("shard") if isinstance(ctx.get("shard"), str) else None)
        if shard is None:
            problems.append(f"{f}: context.shard '{ctx.get('shard')}' is not I/K; read as 0/1")
            shard = (0, 1)
        loaded.append((shard, f, ctx, entries))
    loaded.sort(key=lambda x: x[0][0])  # shard order; stable for equal I

    first = loaded[0] if loaded else None
    if first:
        k = first[0][1]
        for key in ("profile", "filter"):
            for shard, f, ctx, _ in loaded[1:]:
                if ctx.get(key) != first[2].get(key):
                    problems.append(f"{f}: {key} {ctx.get(key)!r} differs from {first[1]}'s "
                                    f"{first[2].get(key)!r} (shards of different sweeps?)")
        # Shards split by other rules (mode, cost table, selection) may overlap or leave runs
        # out even when every I of K is present. A shard without the keys is of a hash split.
        for key in SPLIT_KEYS:
            for shard, f, ctx, _ in loaded[1:]:
                v, v0 = split_value(ctx, key), split_value(first[2], key)
                if v != v0:
                    problems.append(f"{f}: its shard was split with {key} {v!r}, {first[1]}'s "
                                    f"with {v0!r}: the parts may overlap or leave runs out; rerun "
                                    f"the shards with one --shard-mode and cost table")
        for shard, f, ctx, _ in loaded[1:]:
            v, v0 = ctx.get("isobench_version"), first[2].get("isobench_version")
            if v and v0 and v != v0:
                warnings.append(f"{f}: isobench version {ctx.get('isobench_version')} differs from "
                                f"{first[1]}'s {first[2].get('isobench_version')}")
        seen = {}
        for shard, f, ctx, _ in loaded:
            if shard[1] != k:
                problems.append(f"{f}: shard {shard[0]}/{shard[1]} is of a {shard[1]}-way split, "
                                f"{first[1]} of a {k}-way one")
                continue
            if shard[0] in seen:
                problems.append(f"shard {shard[0]}/{k} given twice: {seen[shard[0]]} and {f}")
            seen.setdefault(shard[0], f)
        lacking = absent((i, k) for i in seen)[k]
        if lacking:
            problems.append(f"missing shard(s) {', '.join(f'{i}/{k}' for i in lacking)} of {k}: "
                            f"merge their directories too, or run them (--shard I/{k})")

    runs, owner, merged_from, datasets, write_errors = [], {}, [], {}, []
    dups = {}
    for shard, f, ctx, entries in loaded:
        kept = 0
        for b in entries:
            name = b.get("name")
            if not isinstance(name, str):
                continue
            if name in owner:
                dups.setdefault(f, []).append(name)
                continue
            owner[name] = f
            runs.append(b)
            kept += 1
        miss = ctx.get("runs_missing") or []
        if miss:
            shown = ", ".join(miss[:3]) + (" …" if len(miss) > 3 else "")
            problems.append(f"{f}: shard {shard[0]}/{shard[1]} did not finish {len(miss)} of its "
                            f"runs ({shown}); rerun it with the same options and --resume")
        if ctx.get("complete") is False or ctx.get("write_errors"):
            write_errors += [e for e in ctx.get("write_errors") or [] if isinstance(e, dict)]
            problems.append(f"{f}: shard {shard[0]}/{shard[1]} could not write all its outputs "
                            f"(context.write_errors); rerun it with --resume once there is room")
        ds = ctx.get("datasets") if isinstance(ctx.get("datasets"), dict) else {}
        for name, files in ds.items():
            # Same data = same content digests (regress.py), wherever the files were.
            why = dataset_difference(name, datasets[name], files) if name in datasets else None
            if why:
                warnings.append(f"{f}: dataset {name} is not the data of an earlier input: {why}")
            datasets.setdefault(name, files)
        merged_from.append({"input": f, "shard": f"{shard[0]}/{shard[1]}", "runs": kept})
    for f, names in dups.items():
        shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
        problems.append(f"{f}: {len(names)} run(s) already read from an earlier input (first copy "
                        f"kept): {shown}")

    # The first shard that ran something has Google Benchmark's context (host, date, CPUs).
    base = next((x for x in loaded if "date" in x[2]), first)
    context = dict(base[2]) if base else {}
    # Shards recorded the whole sweep's order: merged runs come as a single run's would.
    order = next((c["sweep_order"] for _, _, c, _ in loaded
                  if isinstance(c.get("sweep_order"), list)), None)
    if order:
        pos = {n: i for i, n in enumerate(order)}
        runs.sort(key=lambda b: pos.get(b["name"], len(pos)))  # stable: unknown names last
    for key in ("shard", "runs_missing", "sweep_order") + SPLIT_KEYS:
        context.pop(key, None)
    context["runs_expected"] = sum(c.get("runs_expected", 0) for _, _, c, _ in loaded
                                   if isinstance(c.get("runs_expected", 0), int))
    context["merged_from"] = merged_from
    if any("jobs" in c for _, _, c, _ in loaded):
        # Runs beside others take longer (merge_runs.jobs_of): the largest of the shards.
        context["jobs"] = str(max(jobs_of(c) for _, _, c, _ in loaded))
    context["datasets"] = datasets
    context["merge_problems"] = problems

    os.makedirs(out, exist_ok=True)
    traces = os.path.join(out, "traces")
    shutil.rmtree(traces, ignore_errors=True)
    os.makedirs(traces)
    for b in runs:
        src = os.path.join(os.path.dirname(owner[b["name"]]), "traces",
                           sanitize(b["name"]) + ".jsonl")
        if os.path.exists(src):
            dst = os.path.join(traces, os.path.basename(src))
            try:
                link_or_copy(src, dst)
            except OSError as e:
                try:
                    os.remove(dst)  # no half-copied trace
                except OSError:
                    pass
                write_errors.append({"path": dst, "reason": e.strerror or str(e)})
                problems.append(f"cannot write {dst}: {e.strerror or e}")
    context["write_errors"] = write_errors
    context["complete"] = not write_errors and not problems
    path = os.path.join(out, "results.json")
    def dump(tmp):
        with open(tmp, "w") as fh:
            json.dump({"context": context, "benchmarks": runs}, fh, indent=1)
    err = replace_file(path, dump)
    if err:
        problems.append(f"cannot write {err} ({path} was left as it was; free space or raise the "
                        f"limit and merge again)")
    return problems, warnings, len(runs)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="merge_shards.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for results.json and traces/")
    ap.add_argument("inputs", nargs="+", help="results.json files or directories holding one")
    a = ap.parse_args(argv)
    out = os.path.realpath(a.out)
    for p in a.inputs:
        d = os.path.realpath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
        if d == out:
            print(f"merge: the output directory {a.out} is also an input ({p}); set ISOBENCH_OUT "
                  f"to another directory", file=sys.stderr)
            return 2
    problems, warnings, n = merge(a.out, a.inputs)
    for w in warnings:
        print(f"merge: warning: {w}", file=sys.stderr)
    for p in problems:
        print(f"merge: {p}", file=sys.stderr)
    print(f"merge: {n} runs from {len(a.inputs)} input(s) into "
          f"{os.path.join(a.out, 'results.json')}"
          + (f"; {len(problems)} problem(s)" if problems else ""), file=sys.stderr)
    return 1 if problems else 0
