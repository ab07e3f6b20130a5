"""The per-run log $ISOBENCH_OUT/runs/BIN.jsonl that each benchmark binary appends to
(--isobench_runlog; format in benchmarks/common/bench_main.cpp): a {"context": ...} line per
process, then one JSON line per finished run, flushed at once, so a killed process loses only the
run it was in. A line that does not parse (a writer killed mid-line) is skipped everywhere.

Here: reading the records, finding the run a crashed binary was in, and recording that run as
failed (a later --resume runs it again: the binary's resume skips only runs without an error).
"""
import json
import sys

from .binaries import strip_iter


def read_lines(path):
    """The JSON objects of a .jsonl file, in order; unparsable lines are skipped; [] when the
    file cannot be read."""
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


def line_count(path):
    """The number of '\\n' in path (wc -l); 0 when it does not exist."""
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def crashed_run(log, start, planned):
    """(crashed, finished): after a binary crashed, the first planned name that no record in log
    after line `start` (the log's line count before the attempt) names — the run in flight —
    or "" when every planned run has a record; and the planned names that do (finished before
    the crash), in planned order."""
    done = set()
    try:
        with open(log) as f:
            for i, line in enumerate(f):
                if i < start:
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                n = r.get("run_name") if isinstance(r, dict) else None
                if isinstance(n, str):
                    done.add(strip_iter(n))
    except OSError:
        pass
    crashed = next((n for n in planned if n not in done), "")
    return crashed, [n for n in planned if n in done]


def crash_record(name, sig):
    """The failure record of a run its binary crashed in (signal number sig)."""
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
            "repetition_index": 0, "threads": 1, "error_occurred": True,
            "error_message": f"the binary crashed (signal {sig}) during this run",
            "iterations": 0, "real_time": 0.0, "cpu_time": 0.0, "time_unit": "s"}


def mark_crashed(log, name, sig):
    """Appends name's failure record to log, on a fresh line if the last one is torn. True when
    written; else prints why (the crashed run then stays missing: results.json lists it) and
    returns False."""
    try:
        with open(log, "rb") as f:
            torn = f.read().endswith(b"\n") is False and f.tell() > 0
    except OSError:
        torn = False
    try:
        with open(log, "a") as f:
            f.write(("\n" if torn else "") + json.dumps(crash_record(name, sig)) + "\n")
        return True
    except OSError as e:
        print(f"isobench: error: cannot write {log}: {e.strerror} (the crashed run stays missing)",
              file=sys.stderr, flush=True)
        return False
