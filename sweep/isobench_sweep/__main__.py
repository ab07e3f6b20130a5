"""`python3 -m isobench_sweep COMMAND ...` (with sweep/ on PYTHONPATH): same as sweep/sweep.py."""
import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
