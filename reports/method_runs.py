#!/usr/bin/env python3
"""Shim: the runs of `./isobench bench --method NAME` are chosen by
sweep/isobench_sweep/selection.py (the sweep protocol, docs/SWEEPS.md) with
reports/isobench_report/method_select.py; this file keeps the old command line:

usage: method_runs.py --method NAME --names ALL.txt [--within SUBSET.txt [--filter REGEX]] [--regex]

  --names ALL.txt      every run name the binaries list (one a line, no --filter, no --shard)
  --within SUBSET.txt  keep only these names (what --filter selects): the intersection
  --filter REGEX       the user's --filter, only to name it in the error when nothing is left
  --regex              print one anchored POSIX extended regular expression matching exactly the
                       selected names (for --isobench_filter) instead of the names

Exit 1, with a message naming the method and listing the methods that do have runs, when the
method has no run; exit 1 also when --within leaves nothing; 2 on bad usage or unreadable files.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))

from isobench_sweep.selection import method_runs_main as main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
