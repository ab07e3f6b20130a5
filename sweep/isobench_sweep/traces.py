"""The trace file of a run (docs/CONTRACT.md, Outputs): traces/NAME.jsonl, NAME the run's name
with every character outside [A-Za-z0-9._-] replaced by '_'. The binaries write it
(sanitize() in benchmarks/common/bench_common.cpp); the shard merge (merge_shards.py) links it
and the report (reports/isobench_report/inputs.py) reads it by this one rule."""
import re


def sanitize(name):
    """A run name (str) -> its trace file's name without ".jsonl"."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
