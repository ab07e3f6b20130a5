#!/usr/bin/env python3
"""Merge the per-binary Google Benchmark JSON files of one `isobench bench` run into results.json.

One "context" (the first part's, plus isobench's keys) and one "benchmarks" array holding every
part's entries, in order. Datasets noted by the runs ($ISOBENCH_OUT/datasets.jsonl) go into
context["datasets"]."""
import argparse
import json
import os
import sys

ITER_SUFFIX = "/iterations:1"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--datasets", default="")
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--shard", default="")
    ap.add_argument("parts", nargs="*")
    a = ap.parse_args()

    context, benchmarks, bad = None, [], 0
    for p in a.parts:
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
        for b in d.get("benchmarks", []):
            # Single-shot runs are registered with Iterations(1), which Google Benchmark appends
            # to the name; CONTRACT.md names do not carry it.
            for key in ("name", "run_name"):
                if isinstance(b.get(key), str) and b[key].endswith(ITER_SUFFIX):
                    b[key] = b[key][: -len(ITER_SUFFIX)]
            benchmarks.append(b)
    context = context or {}
    context["profile"] = a.profile
    if a.shard:
        context["shard"] = a.shard
    datasets = {}
    if a.datasets and os.path.exists(a.datasets):
        with open(a.datasets) as f:
            for line in f:
                try:
                    r = json.loads(line)
                    datasets[r["dataset"]] = r["files"]
                except (ValueError, KeyError):
                    pass
    context["datasets"] = datasets
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=1)
    os.replace(tmp, a.out)
    errors = [b["name"] for b in benchmarks if b.get("error_occurred")]
    for n in errors:
        print(f"merge: run failed: {n}", file=sys.stderr)
    return 1 if (bad or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
