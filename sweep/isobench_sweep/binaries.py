"""One benchmark binary, as the sweep uses it: list what it would run, run it.

The binaries (benchmarks/common/bench_main.cpp) implement the per-run flags the protocol passes:
  --isobench_filter=REGEX   POSIX ERE search over the run name (without "/iterations:1")
  --isobench_shard=I/K      keep the runs whose name hash % K == I (sharding.py states the hash)
  --isobench_runlog=PATH    append each finished run to PATH (runlog.py reads it)
  --isobench_resume         with --isobench_runlog: do not register runs PATH records as finished
  --isobench_skip=NAME      do not register NAME (crash restart)
  --isobench_run=NAME       register only the runs named (--jobs: each process's part)
Only the binary knows which runs it registers, so every selection is the binary's own listing
(--benchmark_list_tests); the decisions of which flags to pass are this package's.
"""
import os
import signal
import subprocess
import sys
import threading

ITER_SUFFIX = "/iterations:1"
# Google Benchmark's note when a filter leaves a binary nothing: not an error for a sweep.
NO_MATCH_NOTE = "Failed to match any benchmarks against regex"


def strip_iter(name):
    """A run name without Google Benchmark's "/iterations:1" suffix (the contract's names)."""
    if isinstance(name, str) and name.endswith(ITER_SUFFIX):
        return name[: -len(ITER_SUFFIX)]
    return name


def find_binaries(directory):
    """The executable bench_* files in directory, by file name (the sweep's binary order)."""
    try:
        names = sorted(f for f in os.listdir(directory) if f.startswith("bench_"))
    except OSError:
        return []
    paths = [os.path.join(directory, f) for f in names]
    return [p for p in paths if os.path.isfile(p) and os.access(p, os.X_OK)]


def list_runs(binary, flags, show_errors=True, env=None):
    """(status, text): what `binary flags... --benchmark_list_tests` prints, one name a line,
    each without "/iterations:1". The binary's stderr goes to ours (without Google Benchmark's
    no-match note) when show_errors, else is dropped. status is the binary's exit status. env:
    the binary's environment (default ours)."""
    sys.stdout.flush()
    sys.stderr.flush()
    p = subprocess.run([binary, *flags, "--benchmark_list_tests"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE if show_errors else subprocess.DEVNULL, env=env)
    text = p.stdout.decode(errors="surrogateescape")
    lines = text.split("\n")
    text = "\n".join(strip_iter(line) for line in lines)
    if show_errors and p.stderr:
        err = p.stderr.decode(errors="surrogateescape").splitlines(keepends=True)
        sys.stderr.write("".join(line for line in err if not line.startswith(NO_MATCH_NOTE)))
        sys.stderr.flush()
    return exit_status(p.returncode), text


def profile_names(directory, profile):
    """Every run name the binaries in directory list for profile ("quick" or "paper", whichever
    they were built for: ISOBENCH_LIST_PROFILE), in sweep order. RuntimeError naming a binary
    that cannot list."""
    env = dict(os.environ, ISOBENCH_LIST_PROFILE=profile)
    names = []
    for b in find_binaries(directory):
        rc, text = list_runs(b, [], show_errors=False, env=env)
        if rc != 0:
            raise RuntimeError(f"{b} --benchmark_list_tests (ISOBENCH_LIST_PROFILE={profile}) "
                               f"exited {rc}")
        names += names_of(text)
    return names


def names_of(text):
    """The non-empty lines of a listing."""
    return [line for line in text.split("\n") if line.strip()]


def exit_status(returncode):
    """A shell's view of a status: 128+N when signal N ended the process."""
    return 128 - returncode if returncode < 0 else returncode


class Runner:
    """Runs benchmark binaries — one at a time, or several at once from worker threads (--jobs) —
    and turns SIGINT/SIGTERM into a stop request: every binary in flight gets SIGTERM, `stopped`
    names the signal ("INT"/"TERM") and the sweep ends after them (bench.py writes results.json
    for what finished and the resume command).

    capture=False: a binary's stdout and stderr are ours (the serial sweep: its table scrolls by).
    capture=True (runs beside others): both are collected and, when the binary ends, its stderr
    and its stdout lines reporting a failed run ("ERROR OCCURRED") are printed as one block under
    a line naming the binary and its runs, so parallel output does not interleave mid-line. The
    rest of stdout is Google Benchmark's table, whose numbers results.json holds."""

    def __init__(self, capture=False):
        self.capture = capture
        self.children = set()
        self.stopped = ""
        self._lock = threading.Lock()

    def install(self):
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    @staticmethod
    def uninstall():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _on_signal(self, signum, _frame):
        self.stopped = "INT" if signum == signal.SIGINT else "TERM"
        self._stop_children()

    def _stop_children(self):
        with self._lock:
            children = list(self.children)
        for child in children:
            if child.poll() is None:
                try:
                    child.send_signal(signal.SIGTERM)
                except OSError:
                    pass

    def pids(self):
        """The process ids of the binaries in flight."""
        with self._lock:
            return [c.pid for c in self.children]

    def run(self, command):
        """Runs command to its end: its exit status, 128+N for signal N. The binary ignores
        SIGINT (a terminal's Ctrl-C reaches the whole process group): the handler stops it with
        SIGTERM, as the shell driver did for its background job."""
        sys.stdout.flush()
        sys.stderr.flush()
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} if self.capture else {}
        child = subprocess.Popen(
            command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN), **pipes)
        with self._lock:
            self.children.add(child)
        if self.stopped:  # a signal that came before the binary started
            self._stop_children()
        if self.capture:
            out, err = child.communicate()
            show_output(command, out, err)
        rc = child.wait()
        with self._lock:
            self.children.discard(child)
        return exit_status(rc)


RUN_FLAG = "--isobench_run="
FAILED_RUN_MARK = "ERROR OCCURRED"
_print_lock = threading.Lock()


def show_output(command, out, err):
    """Prints what a captured binary said that matters: its stderr and its failed-run lines,
    under a line naming it and its runs (Runner, capture=True)."""
    failed = [line for line in out.decode(errors="replace").splitlines()
              if FAILED_RUN_MARK in line]
    text = err.decode(errors="replace")
    if not failed and not text.strip():
        return
    runs = [a[len(RUN_FLAG):] for a in command if a.startswith(RUN_FLAG)]
    what = runs[0] if len(runs) == 1 else f"{len(runs)} runs from {runs[0]}" if runs else "all"
    with _print_lock:
        sys.stderr.write(f"[isobench] --- {os.path.basename(command[0])} ({what}) said:\n")
        sys.stderr.write("".join(line + "\n" for line in failed) + text)
        if text and not text.endswith("\n"):
            sys.stderr.write("\n")
        sys.stderr.flush()
