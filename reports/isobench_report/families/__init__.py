"""The report's families: one module per benchmark family, found by discovery.

Why: issue 23 (the report by family) — everything the report knows about a family (title,
position, table columns, figures, verdicts, name-key labels, which runs enter the method
comparisons) sits in one module, so a new family needs one module here and nothing else.

The interface. Every module of this package (names not starting with "_") defines

    FAMILY = Family(name=..., title=..., order=..., counters=[...],
                    figures=fn, verdicts=fn, ...)

- name:      the run names' first part ("RQA"); unique over the package.
- title:     the section heading in report.md.
- order:     the section's position (ascending; ties by name). Today 10 (RQA) … 90 (PERF).
- counters:  the key counters, in order: the columns of the family's table (mean ± std over
             seeds); those no run reports are left out.
- figures:   fn(Section) → [(png path, caption)]; draws the figures into section.out and appends
             notes (missing fields, skipped figures) to section.notes. Shared figure code lives
             outside this package (plotting, training, seed_study).
- verdicts:  fn(Section) → [verdicts.Verdict]: what was measured, in sentences with their
             numbers, printed as **Observed:** lines; they judge nothing (the claims do).
- key_order: the order of name keys in this family's labels; empty = the contract's
             (inputs.KEY_ORDER; keys outside it follow in name order).
- key_labels: {key: label form} for this family's names, over inputs.LABEL_FORM
             (e.g. {"widgets": "w={v}"}); empty = the shared forms.
- claims:    fn(Section) → [stats.Claim]: the family's hypotheses (kind, metric, per-seed
             values, margin, source); the report judges them together (stats.judge: tests,
             Holm across the family's claims, outcome) and prints each as a **Verdict** line,
             in the claims table and figure and in verdicts.json. None = no claims.
- method_runs: fn(runs) → the runs that enter the "METHOD against the baselines" sections
             (methods.py), or None for none; None (the field) = methods.default_method_runs
             (every run, when some run reports a compared counter).
- tables:    fn(Section) → [Table]: extra tables of the family (a caption, a header, rows of
             (markdown cells, csv cells) and a CSV file name), printed after the figures and
             written as CSV. None = none.

A family in the results that no module names gets `generic(name)` (training curves, the generic
counters, the ranking verdict), as before. See docs/REPORT.md.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, List, Mapping, Optional, Sequence


@dataclass
class Section:
    """What a family's figures and verdicts work on: the family's name, its runs (name → Google
    Benchmark entry, in input order), the merged inputs (inputs.Inputs: traces, side files,
    problems), the output directory and the notes list the section prints."""
    name: str
    runs: Mapping
    inp: object
    out: str
    notes: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """An extra table of a family section: `caption` (markdown, printed before it), `header`
    (column names), `rows` [(markdown cells, csv cells)] as tables.family_table gives them,
    `csv_header` (default: header) and `filename` (the CSV, in the output directory)."""
    caption: str
    header: Sequence[str]
    rows: Sequence
    filename: str
    csv_header: Optional[Sequence[str]] = None


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    order: int
    counters: Sequence[str]
    figures: Callable[[Section], list]
    verdicts: Callable[[Section], list]
    key_order: Sequence[str] = ()
    key_labels: Mapping[str, str] = field(default_factory=dict)
    method_runs: Optional[Callable] = None
    claims: Optional[Callable[[Section], list]] = None
    tables: Optional[Callable[[Section], list]] = None


class FamilyModuleError(TypeError):
    """A module of this package does not export the interface (or repeats a family name)."""


REQUIRED = ("name", "title", "order", "counters", "figures", "verdicts")


def check(fam, where):
    """Raises FamilyModuleError naming `where` (the module) unless `fam` is a usable Family."""
    if not isinstance(fam, Family):
        raise FamilyModuleError(f"{where}: FAMILY must be an isobench_report.families.Family "
                                f"(got {type(fam).__name__}); see docs/REPORT.md")
    if not isinstance(fam.name, str) or not fam.name or "/" in fam.name:
        raise FamilyModuleError(f"{where}: FAMILY.name must be the run names' first part, "
                                f"e.g. 'RQA' (got {fam.name!r})")
    if not isinstance(fam.title, str) or not isinstance(fam.order, int):
        raise FamilyModuleError(f"{where}: FAMILY.title must be a string and FAMILY.order an "
                                f"int")
    if isinstance(fam.counters, str) or not all(isinstance(c, str) for c in fam.counters):
        raise FamilyModuleError(f"{where}: FAMILY.counters must be a list of counter names")
    for f in ("figures", "verdicts"):
        if not callable(getattr(fam, f)):
            raise FamilyModuleError(f"{where}: FAMILY.{f} must be a function of a Section")
    for f in ("method_runs", "claims", "tables"):
        if getattr(fam, f) is not None and not callable(getattr(fam, f)):
            raise FamilyModuleError(f"{where}: FAMILY.{f} must be a function or None")
    return fam


def discover():
    """{name: Family} of every module of this package, ordered by (order, name). Raises
    FamilyModuleError for a module without FAMILY or a family name defined twice."""
    found = {}
    for m in pkgutil.iter_modules(__path__):
        if m.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{m.name}")
        where = f"{getattr(mod, '__file__', m.name)}"
        if not hasattr(mod, "FAMILY"):
            raise FamilyModuleError(f"{where}: a module of isobench_report/families must define "
                                    f"FAMILY = Family(...) (see docs/REPORT.md); move shared "
                                    f"code to a module outside the package")
        fam = check(mod.FAMILY, where)
        if fam.name in found:
            raise FamilyModuleError(f"{where}: family {fam.name} is already defined by another "
                                    f"module of isobench_report/families")
        found[fam.name] = fam
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def generic(name):
    """The family of runs no module names: training curves of accuracy, the generic counters
    (tables.DEFAULT_COUNTERS), the ranking verdict; placed after every known family."""
    from .. import training
    from ..tables import DEFAULT_COUNTERS
    return Family(name=name, title=name, order=10 ** 9, counters=DEFAULT_COUNTERS,
                  figures=training.generic_figures, verdicts=training.generic_verdicts)
