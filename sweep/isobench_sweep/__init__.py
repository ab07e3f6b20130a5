"""isobench's sweep protocol in one place (docs/SWEEPS.md): what a `./isobench bench` runs, in
which shard, what a --resume keeps, how a crashed binary is restarted, how run logs and shards
are merged into results.json, and which write failed. Standard library only.

Modules, one concern each:
  messages   the driver's message prefixes and the exit-with-error helper
  binaries   listing and running one benchmark binary (the flags of bench_main.cpp)
  selection  --filter / --method into the binaries' --isobench_filter; the per-binary selection
  sharding   --shard I/K: parsing and the name hash that splits the selection
  costs      what runs cost: the committed table, the scaling model, the --list summary lines,
             the cost-balanced shard split (sweep/costs/costs.json)
  runlog     the per-run log runs/BIN.jsonl: reading records, the crashed run, its failure record
  resume     the sweep stamp runs/sweep.txt: what --resume checks; a fresh start's cleanup
  crash      one binary's runs with crash restart
  write_checks  results files written through a temporary file, failures named
  datasets   the data the runs read (content digests) and mixed-data conflicts
  merge_runs    one output directory's run logs -> results.json
  merge_shards  shard directories -> one results.json + traces/
  bench      `./isobench bench` (the whole protocol, in order)
  report_cmd `./isobench report` (direct report, or shard merge then report)
  cli        the command-line entry (sweep/sweep.py, `python3 -m isobench_sweep`)
  traces     the trace file of a run (shared with the report)

The package uses two pieces of reports/ (standard library only): isobench_report.method_select
(which runs --method selects) and regress.dataset_difference (same data = same content digests).
This is the one place that makes them importable: reports/ is appended to sys.path (after
everything else, so it shadows nothing). The report does the same for sweep/ in
reports/isobench_report/__init__.py.
"""
import os
import sys

_REPORTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "reports")
if _REPORTS not in sys.path:
    sys.path.append(_REPORTS)

# The interpreter of the Python programs a command starts (reports/report.py), as the bash
# driver's PY: Debian's python3 has matplotlib and numpy; a pyenv shim or a venv that happens to
# run this package may lack them.
PYTHON = "/usr/bin/python3"
