#!/usr/bin/env python3
"""isobench report: results files (and their traces) → report.md, PNG figures, one CSV per table.

usage: report.py --out DIR RESULTS.json|DIR [...]

Any number of inputs merge into one report (shards of a sweep): a directory means its
results.json. Duplicated run names (the same run in two inputs) are reported and the first kept;
errored runs are listed; malformed files are named and skipped. The report is always written,
partial if need be; the exit code is 1 when an input could not be read. The code lives in the
package reports/isobench_report/.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from isobench_report.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
