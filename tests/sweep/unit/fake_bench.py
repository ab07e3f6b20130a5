#!/usr/bin/env python3
"""A stand-in benchmark binary for the protocol's unit tests: the flags of bench_main.cpp that
the sweep passes (--benchmark_list_tests, --isobench_filter, --isobench_shard, --isobench_runlog,
--isobench_resume, --isobench_skip, --isobench_run, --isobench_quiet), three runs F/r:N/seed:1
(FAKE_RUNS=N: N runs; bench_g: G/r:N/seed:1; bench_perf*: PERF/r:N), no C++ needed. Each run line
records the process's ISOBENCH_JOBS and pid.
FAKE_CRASH=NAME: abort() when about to run NAME; FAKE_IGNORE_SKIP=1: ignore --isobench_skip;
FAKE_BAD_SHARD=1: shard by another rule; FAKE_EXIT=N: exit N after the runs; FAKE_IGNORE_RUN=1:
ignore --isobench_run (a binary older than it)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..",
                                "sweep"))
from isobench_sweep.sharding import name_hash  # noqa: E402

BINARY = os.path.basename(sys.argv[0])
PERF = BINARY.startswith("bench_perf")
FAMILY = "G" if BINARY == "bench_g" else "F"  # bench_g: G/r:N/seed:1, as a second family
NAMES = [(f"PERF/r:{i}" if PERF else f"{FAMILY}/r:{i}/seed:1")
         for i in range(int(os.environ.get("FAKE_RUNS", "3")))]
args = sys.argv[1:]
opt = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in args if "=" in a}
skips = {a.split("=", 1)[1] for a in args if a.startswith("--isobench_skip=")}
if os.environ.get("FAKE_IGNORE_SKIP"):
    skips = set()
log = opt.get("--isobench_runlog")
done = set()
if log and "--isobench_resume" in args and os.path.exists(log):
    for line in open(log):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if "run_name" in r and not r.get("error_occurred") and "write_errors" not in r:
            done.add(r["run_name"].replace("/iterations:1", ""))
only = [a.split("=", 1)[1] for a in args if a.startswith("--isobench_run=")]
if os.environ.get("FAKE_IGNORE_RUN"):  # a binary built before --isobench_run
    only = []
unknown = [n for n in only if n not in NAMES]
if unknown:
    print(f"error: --isobench_run={unknown[0]}: this binary has no such run", file=sys.stderr)
    sys.exit(2)
names = [n for n in NAMES if re.search(opt.get("--isobench_filter", ""), n)
         and (not only or n in only)]
if "--isobench_shard" in opt:
    i, k = map(int, opt["--isobench_shard"].split("/"))
    names = [n for n in names if (name_hash(n) + bool(os.environ.get("FAKE_BAD_SHARD"))) % k == i]
names = [n for n in names if n not in done and n not in skips]
if "--benchmark_list_tests" in args:
    print("".join(n + "/iterations:1\n" for n in names), end="")
    sys.exit(0)
with open(log, "a") as f:
    f.write(json.dumps({"context": {"profile": "quick", "shard": "0/1",
                                    "jobs": os.environ.get("ISOBENCH_JOBS", "1")}}) + "\n")
for n in names:
    if n == os.environ.get("FAKE_CRASH"):
        sys.stdout.flush()
        os.abort()
    with open(log, "a") as f:
        f.write(json.dumps({"name": n + "/iterations:1", "run_name": n + "/iterations:1",
                            "run_type": "iteration", "repetitions": 1, "repetition_index": 0,
                            "threads": 1, "iterations": 1, "real_time": 1.0, "cpu_time": 1.0,
                            "time_unit": "s", "steps": len(n), "pid": os.getpid(),
                            "jobs": int(os.environ.get("ISOBENCH_JOBS", "1"))}) + "\n")
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
