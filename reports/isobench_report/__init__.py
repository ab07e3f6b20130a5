"""isobench's report: results files and traces → report.md, PNG figures, one CSV per table.

Modules: `inputs` (reading and merging results files and traces, never raising on bad input),
`tables` (per-configuration mean ± std tables, CSV and markdown), `plotting` (shared figure
helpers: seed bands on a common step grid, saving), `training` and `seed_study` (figures and
verdicts shared by the training families), `stats` / `claims` (the claims' statistics and what
the families' claims share), `verdicts` (observations; judged claims as lines, tables, figure and
verdicts.json), `judge_runs` (judged claims without the report: regress, the reference),
`reference` (the --reference overlay), `methods` / `method_select` (the "METHOD against the
baselines" sections), the package `families` (one module per family, discovered) and `cli`
(assembles report.md). docs/REPORT.md
describes how they fit.

The report shares the sweep protocol's rules for what a sweep wrote (sweep/isobench_sweep/,
standard library only): a run's trace file name (traces.sanitize), a recorded shard
(sharding.parse_recorded) and the shards a set of inputs lacks (sharding.absent). This is the one
place that makes that package importable: sweep/ is appended to sys.path (after everything else,
so it shadows nothing)."""
import os
import sys

_SWEEP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "sweep")
if _SWEEP not in sys.path:
    sys.path.append(_SWEEP)
