"""isobench's report: results files and traces → report.md, PNG figures, one CSV per table.

Modules: `inputs` (reading and merging results files and traces, never raising on bad input),
`tables` (per-configuration mean ± std tables, CSV and markdown), `plotting` (shared figure
helpers: seed bands on a common step grid, saving), one module per family group (`fam_rqa`,
`fam_rqb`, `fam_perf`, `fam_training`) and `cli` (assembles report.md)."""
