"""The reference overlay: a new run beside a reference run (`report.py --reference REF`).

Why: issue 20 item 6 — as DeepOBS ships its baselines, isobench commits reference runs
(reports/reference/: results.json and verdicts.json); a new run is read against one. For each
family present on both sides the report adds "FAM against the reference":

- per configuration, the family's key counter (the first of training.ACC_COUNTERS both sides
  report, else the first of the family's table counters both report): mean ± the half-width of
  the 95 % t interval of the mean (scipy.stats.t: t_{0.975, n−1}·sd/√n; "—" for n < 2) and n, for
  the new run and the reference side by side;
- the verdicts of both sides, side by side (outcome, effect, 95 % interval), judged separately —
  each side's claims with its own Holm family. The reference's verdicts are shown as recorded
  when a verdicts.json sits next to its results.json (what was signed, with the code of its day);
  otherwise they are computed from its runs with this report's code (judge_runs.py).
"""
import json
import os
from dataclasses import dataclass, field
from typing import Mapping

from .inputs import counters, groups_by_config, load_inputs, ok_runs
from .judge_runs import by_family, judge_inputs
from .stats import mean_interval
from .tables import fmt, md_table
from .training import ACC_COUNTERS
from .verdicts import interval, num


@dataclass
class Reference:
    """A reference loaded for the overlay.

    path:      the results.json read; verdicts_path: its verdicts.json, or "" when computed.
    inp:       inputs.Inputs of the reference; runs: {family: {name: entry}}.
    verdicts:  {family: [verdicts.json objects]} (recorded or computed).
    problems:  what went wrong reading it (text), for the report's problem list."""
    path: str
    inp: object
    runs: Mapping
    verdicts: Mapping
    verdicts_path: str = ""
    problems: list = field(default_factory=list)


def load(where, known):
    """Reads a reference: `where` is a results.json or a directory holding one. Its verdicts are
    read from verdicts.json beside it when present (a malformed file is a problem, and the
    verdicts are computed instead), else computed (judge_runs). Never raises."""
    path = os.path.join(where, "results.json") if os.path.isdir(where) else where
    inp = load_inputs([path])
    ref = Reference(path=path, inp=inp, runs=by_family(inp.runs), verdicts={})
    ref.problems += [f"reference: {p}" for p in inp.problems]
    vpath = os.path.join(os.path.dirname(os.path.abspath(path)), "verdicts.json")
    if os.path.exists(vpath):
        try:
            with open(vpath) as f:
                got = json.load(f)
            if not isinstance(got, list) or not all(isinstance(v, dict) and "family" in v
                                                    and "claim" in v for v in got):
                raise ValueError("not a JSON array of verdict objects with family and claim")
            for v in got:
                ref.verdicts.setdefault(v["family"], []).append(v)
            ref.verdicts_path = vpath
            return ref
        except (OSError, ValueError) as e:
            ref.problems.append(f"reference: `{vpath}` could not be read ({e}); its verdicts "
                                f"are computed from its runs instead")
    judged, problems = judge_inputs(inp, known)
    ref.problems += [f"reference: {p}" for p in problems]
    ref.verdicts = {fam: [v.as_json() for v in vs] for fam, vs in judged.items()}
    return ref


def key_counter(family, runs, ref_runs):
    """The counter compared: the first accuracy counter both sides report, else the first of
    the family's table counters both report; None when they share none."""
    def has(rs, c):
        return any(c in counters(b) for b in ok_runs(rs).values())
    for c in list(ACC_COUNTERS) + list(family.counters):
        if has(runs, c) and has(ref_runs, c):
            return c
    return None


def cell(m, h, n):
    if m is None:
        return "—"
    return f"{fmt(m)}" + ("" if h is None else f" ± {fmt(h)}") + f" (n = {n})"


def counter_rows(runs, ref_runs, c):
    """[(markdown cells, raw)] per configuration present on either side, the new run's first."""
    now = groups_by_config(ok_runs(runs))
    ref = groups_by_config(ok_runs(ref_runs))
    rows = []
    for cfg in list(now) + [g for g in ref if g not in now]:
        a = mean_interval([counters(b).get(c) for _, b in now.get(cfg, [])])
        r = mean_interval([counters(b).get(c) for _, b in ref.get(cfg, [])])
        rows.append(([cfg, cell(*a), cell(*r)], (cfg, a, r)))
    return rows


def verdict_cells(v):
    if v is None:
        return ["(not judged)", "—", "—"]
    return [v.get("outcome", "?"), num(v.get("effect")), interval(v.get("ci_low"),
                                                                  v.get("ci_high"))]


def verdict_rows(now, ref):
    """Side-by-side rows of two lists of verdicts.json objects, matched by claim text."""
    rv = {v["claim"]: v for v in ref}
    nv = {v["claim"]: v for v in now}
    order = [v["claim"] for v in now] + [v["claim"] for v in ref if v["claim"] not in nv]
    return [([c] + verdict_cells(nv.get(c)) + verdict_cells(rv.get(c)), None) for c in order]


def section(family, runs, now_verdicts, ref):
    """The markdown lines of "FAM against the reference" (empty when the reference has no run
    of the family). now_verdicts: the new run's verdicts.json objects of this family."""
    fam = family.name
    ref_runs = ref.runs.get(fam)
    if not ref_runs:
        return []
    ctx = ref.inp.context
    md = [f"### {fam} against the reference", "",
          f"Reference `{ref.path}`: isobench `{ctx.get('isobench_version', '?')}`, profile "
          f"`{ctx.get('profile', '?')}`, host `{ctx.get('host_name', '?')}`, "
          f"{ctx.get('date', '?')}; {len(ref_runs)} runs of {fam} (this run: {len(runs)}).", ""]
    c = key_counter(family, runs, ref_runs)
    if c is None:
        md += [f"No counter of {fam} is reported on both sides: nothing to set side by side.",
               ""]
    else:
        md += [f"{c} per configuration: mean ± half-width of the 95 % t interval of the mean "
               f"(n = seeds):", "",
               md_table(["configuration", "this run", "reference"],
                        counter_rows(runs, ref_runs, c)), ""]
    ref_v = ref.verdicts.get(fam, [])
    if now_verdicts or ref_v:
        how = (f"as recorded in `{ref.verdicts_path}`" if ref.verdicts_path else
               "computed from the reference's runs by this report's code")
        md += [f"Verdicts, each side judged on its own runs (Holm within each side); the "
               f"reference's {how}:", "",
               md_table(["claim", "this run", "effect", "95% CI", "reference", "effect",
                         "95% CI"], verdict_rows(now_verdicts, ref_v)), ""]
    return md
