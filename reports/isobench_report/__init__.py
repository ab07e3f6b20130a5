"""isobench's report: results files and traces → report.md, PNG figures, one CSV per table.

Modules: `inputs` (reading and merging results files and traces, never raising on bad input),
`tables` (per-configuration mean ± std tables, CSV and markdown), `plotting` (shared figure
helpers: seed bands on a common step grid, saving), `training` and `seed_study` (figures and
verdicts shared by the training families), `verdicts` (verdict objects and the uncertainty
hook), `methods` / `method_select` (the "METHOD against the baselines" sections), the package
`families` (one module per family, discovered) and `cli` (assembles report.md). docs/REPORT.md
describes how they fit."""
