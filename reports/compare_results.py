#!/usr/bin/env python3
"""compare_results.py EXPECTED ACTUAL [--same-order] [--quiet] [--common]

Did a change alter any measured number? EXPECTED and ACTUAL are two results directories (what
`./isobench bench` writes into $ISOBENCH_OUT: results.json and traces/) or two results.json files.

Compared, exactly (bit for bit, as JSON numbers):
- every run's entry in results.json: the same runs (names), the same error state and message, every
  counter equal — timings aside (real_time, cpu_time, and counters whose name contains "seconds",
  "per_second" or "gflops": they depend on the machine, not on the code's arithmetic);
- with directories, every trace traces/NAME.jsonl present on either side: the same lines, each
  record's fields equal except timing fields (same rule; e.g. an evaluation's "seconds").
PERF entries hold only timings and FLOP counts; their names are compared, not their values.
With --same-order the entries must also come in the same order. With --common only the runs (and
traces) present on both sides are compared: runs on one side only are listed as added or removed,
not counted as differences (a change that adds runs, or a family's subset against a whole sweep).

Prints every difference (one line each, `compare: ...`) and a summary; exit 0 when there is none,
1 when there are differences or nothing was compared, 2 when an input cannot be read."""
import json
import os
import re
import sys

TIMING = re.compile(r"seconds|per_second|gflops")
NOT_COUNTERS = {"name", "run_name", "real_time", "cpu_time", "time_unit", "family_index",
                "per_family_instance_index", "iterations"}


def untimed(record):
    """A record without its timing fields (recursively for nested objects)."""
    if isinstance(record, dict):
        return {k: untimed(v) for k, v in record.items() if not TIMING.search(k)}
    if isinstance(record, list):
        return [untimed(v) for v in record]
    return record


def outcome(b):
    return untimed({k: v for k, v in b.items() if k not in NOT_COUNTERS})


def load_results(path):
    try:
        with open(path) as f:
            return json.load(f)["benchmarks"]
    except (OSError, ValueError, KeyError) as e:
        print(f"compare: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def load_trace(path):
    """The lines of a .jsonl trace as parsed objects (a line that does not parse is kept as text,
    so a truncated line shows up as a difference)."""
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(untimed(json.loads(line)))
            except ValueError:
                out.append(("unparsed line", line.rstrip("\n")))
    return out


def compare_entries(a, b, name_a, name_b, same_order, diffs, common=False):
    na, nb = [x["name"] for x in a], [x["name"] for x in b]
    for names, where in ((na, name_a), (nb, name_b)):
        if len(set(names)) != len(names):
            diffs.append(f"{where} has duplicated names")
    if common:
        for n in sorted(set(na) - set(nb)):
            print(f"compare: only in {name_a} (not compared): {n}")
        for n in sorted(set(nb) - set(na)):
            print(f"compare: only in {name_b} (not compared): {n}")
    elif set(na) != set(nb):
        only_a, only_b = sorted(set(na) - set(nb)), sorted(set(nb) - set(na))
        if only_a:
            diffs.append(f"only in {name_a}: {only_a}")
        if only_b:
            diffs.append(f"only in {name_b}: {only_b}")
    elif same_order and na != nb:
        diffs.append(f"same runs in another order:\n  {na}\n  {nb}")
    bmap = {x["name"]: x for x in b}
    compared = 0
    for x in a:
        y = bmap.get(x["name"])
        if y is None:
            continue
        compared += 1
        if x["name"].startswith("PERF/"):
            continue
        ox, oy = outcome(x), outcome(y)
        if ox != oy:
            keys = sorted(k for k in set(ox) | set(oy) if ox.get(k) != oy.get(k))
            diffs.append(f"{x['name']}: " + ", ".join(f"{k} {ox.get(k)!r} != {oy.get(k)!r}"
                                                      for k in keys))
    return compared


def compare_traces(dir_a, dir_b, diffs, common=False):
    ta, tb = os.path.join(dir_a, "traces"), os.path.join(dir_b, "traces")
    fa = set(os.listdir(ta)) if os.path.isdir(ta) else set()
    fb = set(os.listdir(tb)) if os.path.isdir(tb) else set()
    for f, where in [(f, dir_a) for f in sorted(fa - fb)] + [(f, dir_b) for f in sorted(fb - fa)]:
        if not common:
            diffs.append(f"trace {f} only in {where}")
    compared = 0
    for f in sorted(fa & fb):
        la, lb = load_trace(os.path.join(ta, f)), load_trace(os.path.join(tb, f))
        compared += 1
        if la == lb:
            continue
        if len(la) != len(lb):
            diffs.append(f"trace {f}: {len(la)} lines != {len(lb)} lines")
        for i, (x, y) in enumerate(zip(la, lb)):
            if x != y:
                diffs.append(f"trace {f}, line {i + 1}: {json.dumps(x)[:300]} != "
                             f"{json.dumps(y)[:300]}")
                break  # the first differing line of a trace says enough
    return compared


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    same_order = "--same-order" in sys.argv
    quiet = "--quiet" in sys.argv
    common = "--common" in sys.argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dirs = [os.path.isdir(p) for p in args]
    if dirs[0] != dirs[1]:
        print("compare: give two directories or two results.json files", file=sys.stderr)
        return 2
    paths = [os.path.join(p, "results.json") if d else p for p, d in zip(args, dirs)]
    a, b = load_results(paths[0]), load_results(paths[1])
    diffs = []
    runs = compare_entries(a, b, paths[0], paths[1], same_order, diffs, common)
    traces = compare_traces(args[0], args[1], diffs, common) if dirs[0] else 0
    if not quiet or diffs:
        for d in diffs:
            print(f"compare: {d}")
    print(f"compare: {runs} runs and {traces} traces compared, {len(diffs)} difference(s)")
    return 1 if diffs or runs == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
