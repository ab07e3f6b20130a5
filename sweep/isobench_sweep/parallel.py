"""--jobs N > 1: a sweep's runs N at a time, each in a single-threaded process (docs/SWEEPS.md,
"Every core busy").

Why processes of a few runs each: a binary runs its runs one after another, so N binaries at
once would leave cores idle whenever the binaries' totals differ (RQA's 145 short runs beside
RQC's 32 long ones). The selection is cut into tasks — consecutive runs of one binary, together
estimated at CHUNK_SECONDS or more (a run longer than that is a task alone) — which a process
runs with --isobench_run=NAME each; tasks start longest first (the classic longest-processing-
time rule) on N worker threads, each keeping one binary process in flight. Few runs per process
keep the cost of starting one (loading its data: ~0.1 s for MNIST) small beside the runs.

What does not change with N (tests/sweep/test_jobs.sh): a run's counters do not depend on the
process that runs it (every run draws from streams keyed by what they draw and its seed;
docs/CONTRACT.md), every process appends to
the binary's run log runs/BIN.jsonl (whole lines, O_APPEND: lines of two processes never mix)
and results.json is merged in selection order, so results, traces and the run log's records are
those of a serial sweep (timings aside). Crash restart works per task (crash.py): the run that
crashed a process is marked failed and the task's other runs run again in a new process.

PERF runs measure speed, which co-running processes would inflate: they run after every other
task, alone, one binary at a time (ISOBENCH_JOBS=1 in their context). The other processes record
ISOBENCH_JOBS=N, which results.json's context "jobs" carries (merge_runs.py); the report takes
cost comparisons only from PERF or from a sweep with jobs 1.

Progress: a line per finished task — runs done of all, the runs in flight, elapsed time and an
ETA (the remaining estimated cost over N, scaled by how long finished tasks took against their
estimate) — and, at the end, the peak memory of the processes in flight at once (their summed
resident set sizes, sampled twice a second).
"""
import os
import threading
import time

from . import crash
from .binaries import RUN_FLAG
from .messages import say

CHUNK_SECONDS = 2.0  # in the cost function's units (seconds with a cost table)
PERF_PREFIX = "PERF/"


def usable_cores():
    """The cores this process may run on (its affinity mask: a Slurm or cgroup cpuset), at
    least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Task:
    """Runs of one binary for one process: binary (path), name (its file name), runs (names,
    selection order), cost (estimated, the cost function's units)."""

    def __init__(self, binary, runs, cost, alone=False):
        self.binary, self.name = binary, os.path.basename(binary)
        self.runs, self.cost, self.alone = list(runs), float(cost), alone
        self.started = None

    def label(self):
        return self.runs[0] if len(self.runs) == 1 else f"{self.name} ({len(self.runs)} runs)"


def plan(selected, cost, chunk=CHUNK_SECONDS):
    """(tasks, alone) from selected = [(binary path, [run names left, in selection order])] and
    cost(name) -> estimated cost: tasks — the non-PERF runs cut into consecutive groups of one
    binary whose cost reaches chunk (a binary's last group may cost less), longest first (ties in
    selection order); alone — [Task] of each binary's PERF runs, in binary order."""
    tasks, alone = [], []
    for binary, runs in selected:
        perf = [r for r in runs if r.startswith(PERF_PREFIX)]
        if perf:
            alone.append(Task(binary, perf, sum(cost(r) for r in perf), alone=True))
        group, total = [], 0.0
        for r in runs:
            if r.startswith(PERF_PREFIX):
                continue
            group.append(r)
            total += cost(r)
            if total >= chunk:
                tasks.append(Task(binary, group, total))
                group, total = [], 0.0
        if group:
            tasks.append(Task(binary, group, total))
    tasks.sort(key=lambda t: -t.cost)  # stable: equal costs keep the selection's order
    return tasks, alone


def resident_kib(pid):
    """VmRSS of process pid in KiB (0 when it has ended or cannot be read)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def duration(seconds):
    """'45 s', '12 min', '2.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """The bookkeeping behind the progress lines (thread-safe)."""

    def __init__(self, tasks, alone, jobs):
        self.lock = threading.Lock()
        self.total = sum(len(t.runs) for t in tasks + alone)
        self.done_runs = 0
        self.waiting_cost = sum(t.cost for t in tasks)
        self.alone_cost = sum(t.cost for t in alone)
        self.done_cost = self.done_seconds = 0.0
        self.in_flight = []
        self.jobs, self.t0 = jobs, time.monotonic()

    def start(self, task):
        with self.lock:
            task.started = time.monotonic()
            if task.alone:
                self.alone_cost -= task.cost
            else:
                self.waiting_cost -= task.cost
            self.in_flight.append(task)

    def finish(self, task):
        """The progress line for a task that ended."""
        now = time.monotonic()
        with self.lock:
            took = now - task.started
            self.in_flight.remove(task)
            self.done_runs += len(task.runs)
            self.done_cost += task.cost
            self.done_seconds += took
            # Seconds per cost unit so far: turns estimates (or run counts) into an ETA.
            rate = self.done_seconds / self.done_cost if self.done_cost > 0 else 0.0
            left = sum(max(0.0, t.cost * rate - (now - t.started)) for t in self.in_flight)
            eta = (self.waiting_cost * rate + left) / self.jobs + self.alone_cost * rate
            flight = ", ".join(t.label() for t in self.in_flight) or "none"
            return (f"[{self.done_runs}/{self.total} runs] {task.label()}: {took:.1f} s; "
                    f"in flight: {flight}; elapsed {duration(now - self.t0)}, "
                    f"ETA {duration(max(0.0, eta))}")


def run(runner, tasks, alone, jobs, flags_of, log_of):
    """Runs tasks on `jobs` workers, then the alone tasks one at a time; returns
    {binary name: [crash.OK | FAILED | WRITE_FAILED | STOPPED, ...]} and the peak summed resident
    memory of the processes in flight (KiB). flags_of(binary) are the flags every process of that
    binary gets (selection, run log); log_of(binary) its run log. A failed task never stops the
    others; a stop request (runner.stopped) starts nothing more."""
    results, results_lock = {}, threading.Lock()
    progress = Progress(tasks, alone, jobs)
    queue = list(tasks)

    def one(task):
        progress.start(task)
        # Beside others a process is quiet (no banner, table or live progress: its output is
        # shown only when it ends); alone, its output scrolls by as in a serial sweep.
        quiet = [] if task.alone else ["--isobench_quiet"]
        flags = flags_of(task.binary) + quiet + [RUN_FLAG + r for r in task.runs]
        try:
            result = crash.run_with_restarts(runner, task.binary, task.name, flags,
                                             log_of(task.binary))
        except Exception as e:  # noqa: BLE001 — e.g. a binary that cannot start: the task fails
            say(f"{task.name}: could not run {task.label()}: {e}; its runs are missing "
                f"(./isobench bench --resume runs them again)")
            result = crash.FAILED
        with results_lock:
            results.setdefault(task.name, []).append(result)
        if result != crash.STOPPED:
            say(progress.finish(task))

    def worker():
        while not runner.stopped:
            with results_lock:
                if not queue:
                    return
                task = queue.pop(0)
            one(task)

    peak = [0]

    def wait_for(threads):
        while any(t.is_alive() for t in threads):
            peak[0] = max(peak[0], sum(resident_kib(p) for p in runner.pids()))
            for t in threads:
                t.join(timeout=0.5)  # short: signal handlers run in this (the main) thread

    os.environ["ISOBENCH_JOBS"] = str(jobs)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(jobs, len(queue)))]
    for t in threads:
        t.start()
    wait_for(threads)
    os.environ["ISOBENCH_JOBS"] = "1"
    runner.capture = False  # alone: its output scrolls by as in a serial sweep
    for task in alone:
        if runner.stopped:
            break
        say(f"{task.name}: {len(task.runs)} PERF run(s) alone, after the others")
        thread = threading.Thread(target=one, args=(task,), daemon=True)
        thread.start()
        wait_for([thread])
    return results, peak[0]
