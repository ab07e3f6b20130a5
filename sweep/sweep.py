#!/usr/bin/env python3
"""Entry point of the sweep protocol (docs/SWEEPS.md): `./isobench bench` and `./isobench report`
run `/usr/bin/python3 sweep/sweep.py bench|report ARGS...`. Standard library only (compute nodes
have it); puts sweep/ on sys.path so no PYTHONPATH is needed."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from isobench_sweep.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
