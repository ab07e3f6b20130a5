#!/usr/bin/env python3
"""Shim: shards are merged by sweep/isobench_sweep/merge_shards.py (the sweep protocol,
docs/SWEEPS.md); this file keeps the old command line (`merge_shards.py --out OUT INPUT...`)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))

from isobench_sweep.merge_shards import *  # noqa: E402,F401,F403
from isobench_sweep.merge_shards import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
