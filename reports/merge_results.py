#!/usr/bin/env python3
"""Shim: the results.json of one `isobench bench` output directory is built by
sweep/isobench_sweep/merge_runs.py (the sweep protocol, docs/SWEEPS.md); this file keeps the old
command line (`merge_results.py --out ... [--runs DIR --selection DIR] [PARTS...]`) and names."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))

from isobench_sweep.merge_runs import *  # noqa: E402,F401,F403
from isobench_sweep.merge_runs import main  # noqa: E402
from isobench_sweep.write_checks import replace_file, write_results  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(main())
