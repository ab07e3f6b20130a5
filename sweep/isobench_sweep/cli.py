"""The command line of the sweep protocol (sweep/sweep.py, `python3 -m isobench_sweep`):

  bench ARGS...         `./isobench bench` (bench.py); the driver execs this after `cd` to the
                        repository root, with ISOBENCH_ROOT set
  report [INPUT ...]    `./isobench report` (report_cmd.py)
  merge-runs ARGS...    one output directory's run logs -> results.json (merge_runs.py;
                        reports/merge_results.py is the same)
  merge-shards ARGS...  shards -> one results.json + traces/ (reports/merge_shards.py)
  method-runs ARGS...   the runs of --method (reports/method_runs.py)
"""
import os
import sys

from . import bench, merge_runs, merge_shards, report_cmd, selection
from .messages import Die, error

USAGE = "usage: sweep.py bench|report|merge-runs|merge-shards|method-runs ARGS..."


def main(argv):
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    root = os.environ.get("ISOBENCH_ROOT") or os.getcwd()
    try:
        if cmd == "bench":
            return bench.main(args, root)
        if cmd == "report":
            return report_cmd.main(args)
        if cmd == "merge-runs":
            return merge_runs.main(args)
        if cmd == "merge-shards":
            return merge_shards.main(args)
        if cmd == "method-runs":
            return selection.method_runs_main(args)
    except Die as e:
        error(str(e))
        return e.status
    except KeyboardInterrupt:  # Ctrl-C outside the sweep loop: as the shell would end
        return 130
    except BrokenPipeError:
        # The reader went away (`bench --list | head -1`): quiet, and the status of a process
        # killed by SIGPIPE, as the bash driver. Output still buffered goes nowhere, so Python's
        # flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141
    print(USAGE, file=sys.stderr)
    return 2
