"""The judged claims of a set of runs without the report: each family's claims + stats.judge.

Why: issue 20 — `./isobench regress` compares the verdicts of a results file with the
baseline's, and the report's reference overlay (cli.py `--reference`) judges the reference's
runs separately from the new run's; both must judge exactly as the report does (same families,
same claims, Holm per family) and neither needs figures. cli.write_report judges inside
family_section (it also prints); this module is the same two calls, with nothing drawn.
"""
import os
from collections import OrderedDict, defaultdict

from . import families, stats
from .inputs import FAMILY_KEYS, load_inputs


def by_family(runs):
    """{family: {name: entry}} in input order (a name's first part is its family)."""
    out = defaultdict(OrderedDict)
    for name, b in runs.items():
        out[name.split("/")[0]][name] = b
    return out


def set_labels(known):
    """The families' name-key label forms (inputs.FAMILY_KEYS), as write_report sets them:
    claim texts that name configurations (TASK) use them."""
    FAMILY_KEYS.clear()
    FAMILY_KEYS.update({f.name: (tuple(f.key_order), dict(f.key_labels))
                        for f in known.values() if f.key_order or f.key_labels})


def judge_inputs(inp, known=None, only=None):
    """({family: [stats.Verdict]}, [problem text]) for the runs of `inp` (inputs.Inputs).

    known: {name: Family} (default families.discover()); only: family names to judge (default
    every family present with a claims hook). A family whose claims or judgement raise is left
    out and named in the problems (type, message) — never raised."""
    known = families.discover() if known is None else known
    set_labels(known)
    groups = by_family(inp.runs)
    out, problems = OrderedDict(), []
    for name, fam in known.items():
        if fam.claims is None or name not in groups or (only is not None and name not in only):
            continue
        s = families.Section(name=name, runs=groups[name], inp=inp, out=os.devnull)
        try:
            out[name] = stats.judge(fam.claims(s))
        except Exception as e:  # one family's failure must not hide the others' verdicts
            problems.append(f"{name}: the claims could not be judged ({type(e).__name__}: {e})")
    return out, problems


def judge_paths(paths, known=None, only=None):
    """(inputs.Inputs, {family: [stats.Verdict]}, [problem text]) for results files or
    directories (inputs.load_inputs: unreadable inputs are in inp.problems, never raised)."""
    inp = load_inputs(list(paths))
    judged, problems = judge_inputs(inp, known, only)
    return inp, judged, problems
