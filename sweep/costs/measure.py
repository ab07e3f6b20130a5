#!/usr/bin/python3
"""Measure runs' costs for the cost table (sweep/costs/costs.json): one run per process, serially.

  measure.py BIN_DIR OUT.json NAME...                 whole runs: the process's CPU time
  measure.py --truncate S BIN_DIR OUT.json NAME...    long runs, cut after about S seconds

Each run is started alone (`bench_X --isobench_run=NAME`, ISOBENCH_OUT in a temporary
directory, ISOBENCH_BLAS_THREADS=1); its cost is the process's CPU time (user + system, one
thread: a core's seconds), which other work on the machine inflates far less than the wall
time: setup, data loading, training, evaluations, writing (PERF runs: all their iterations).
The wall time is recorded beside it.
--truncate T: the run is stopped (SIGTERM) at the first trainer progress line (stderr, "[NAME]
epoch E step S … elapsed Xs eta<=Ys", X the training time so far) at wall time t1 >= T with
S > 0, and its whole cost taken as c1 + Y·c1/t1: the CPU time c1 so far (setup, data,
evaluations) plus the trainer's own estimate of the training left (X·(budget − S)/S, wall
time), scaled by the CPU share c1/t1 the process got. The evaluations after the cut
and the final test pass are not included (an underestimate of a few per cent).
OUT.json gets {name: {"seconds": s, "how": "..."}}, merged into an existing
file. Nothing of the benchmarks is changed to do this.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

PROGRESS = re.compile(r"\[(?P<name>[^\]]+)\] epoch \d+ step (?P<step>\d+) .*elapsed "
                      r"(?P<x>[0-9.]+)s eta<=(?P<eta>[0-9.]+)s")


def binary_of(bin_dir, name):
    fam = name.split("/")[0].lower()
    if fam == "perf":
        model = name.split("/")[1]
        sub = {"rnn_step": "perf_rnn", "rnn_epoch": "perf_rnn", "lstm_epoch": "perf_rnn",
               "penalty": "perf_ortho",
               "constraint": "perf_ortho", "jacobian_spectrum": "perf_spectrum"}
        fam = sub.get(model, "perf")
    return os.path.join(bin_dir, "bench_" + fam)


def cpu_seconds(pid):
    """User + system CPU seconds of a running process (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_one(bin_dir, name, truncate):
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, ISOBENCH_OUT=out, ISOBENCH_BLAS_THREADS="1")
        cmd = [binary_of(bin_dir, name), f"--isobench_run={name}"]
        start = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        for line in p.stderr:
            m = PROGRESS.search(line)
            if not (truncate and m):
                continue
            now = time.monotonic() - start
            step = int(m.group("step"))
            if step > 0 and now >= truncate:
                x, eta = float(m.group("x")), float(m.group("eta"))
                budget = step + eta * step / x
                cpu = cpu_seconds(p.pid)
                p.terminate()
                p.wait()
                return cpu + eta * cpu / now, (
                    f"truncated at step {step} of {budget:.0f} after {now:.1f} s wall, {cpu:.1f} s"
                    f" CPU ({x:.1f} s training), + the trainer's ETA {eta:.0f} s x {cpu / now:.2f}")
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        if p.returncode != 0:
            raise SystemExit(f"measure.py: {name}: {cmd[0]} exited {p.returncode}")
        return (usage.ru_utime + usage.ru_stime,
                f"whole run, own process, CPU time ({wall:.2f} s wall)")


def main(argv):
    truncate = 0.0
    if argv[:1] == ["--truncate"]:
        truncate, argv = float(argv[1]), argv[2:]
    if len(argv) < 3:
        raise SystemExit(__doc__)
    bin_dir, out_path, names = argv[0], argv[1], argv[2:]
    data = {}
    if os.path.exists(out_path):
        with open(out_path) as f:
            data = json.load(f)
    for name in names:
        s, how = run_one(bin_dir, name, truncate)
        data[name] = {"seconds": round(s, 3), "how": how}
        print(f"{s:9.2f} s  {name}  ({how})", flush=True)
        with open(out_path + ".tmp", "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(out_path + ".tmp", out_path)


if __name__ == "__main__":
    main(sys.argv[1:])
