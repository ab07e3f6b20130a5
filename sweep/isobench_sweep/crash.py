"""One binary's runs with crash restart.

A binary that dies of a signal (a crash; not our SIGTERM after Ctrl-C) fails the run in flight
— the first planned run without a record in the run log since the attempt began — with a failure
record in the log (runlog.mark_crashed), and is restarted without it and without the runs it
finished (--isobench_skip=NAME each); it ends when nothing is planned. A run that crashes the
binary again although it was to be skipped ends the binary's runs (no endless loop). A binary
that exits non-zero without a signal keeps its results and is not restarted; status 3 means a
write failed (write_checks.WRITE_FAILED_STATUS) and is noted for results.json.
"""
import signal

from .binaries import list_runs, names_of
from .messages import say
from .runlog import crashed_run, line_count, mark_crashed
from .write_checks import WRITE_FAILED_STATUS

OK, FAILED, WRITE_FAILED, STOPPED = "ok", "failed", "write_failed", "stopped"


def signal_name(sig):
    """'SIGABRT' for 6; 'SIG' plus nothing for an unknown number (as `kill -l` would leave it)."""
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "SIG"


def run_with_restarts(runner, binary, name, flags, log):
    """Runs binary with flags (selection, run log, resume) until its planned runs are done:
    OK, FAILED (some run failed or the binary exited non-zero), WRITE_FAILED (it exited 3) or
    STOPPED (runner.stopped: a signal asked the sweep to stop). name is the binary's file name,
    log its run log."""
    skips, result = [], OK
    while True:
        _, text = list_runs(binary, flags + skips, show_errors=False)
        planned = names_of(text)
        if not planned:
            break
        start = line_count(log)
        if runner.stopped:
            return STOPPED
        rc = runner.run([binary, *flags, *skips, "--benchmark_counters_tabular=true"])
        if runner.stopped:
            return STOPPED
        if rc == 0:
            break
        result = FAILED
        if rc == WRITE_FAILED_STATUS:
            say(f"{name} could not write some of its outputs (see above); results.json will say so")
            return WRITE_FAILED
        if rc <= 128:
            say(f"{name} exited with status {rc}; its other results are kept")
            break
        sig = rc - 128
        crashed, finished = crashed_run(log, start, planned)
        skips += [f"--isobench_skip={n}" for n in finished]
        if not crashed:
            say(f"{name} crashed (signal {sig}, {signal_name(sig)}) after its last run")
            break
        if f"--isobench_skip={crashed}" in skips:
            say(f"{name} crashed again during {crashed}, which it was told to skip; giving up on "
                f"{name}'s remaining runs")
            break
        say(f"{name} CRASHED (signal {sig}, {signal_name(sig)}) during {crashed}: that run is "
            f"marked failed; restarting {name} with the runs left")
        mark_crashed(log, crashed, sig)
        skips.append(f"--isobench_skip={crashed}")
    return result
