"""Verdict objects: what a family concludes from its runs, with the numbers behind it.

Why: issue 23 (the report by family) — the statistics issue will replace how a verdict's
uncertainty is computed; this module is the one place it plugs in, so no family module changes.
A family's `verdicts` returns Verdict objects (families/__init__.py); the CLI passes each through
`with_uncertainty` (the installed estimator) and prints `render(verdict)`.

Today no estimator is installed (`UNCERTAINTY` is None): every verdict keeps the interval and
uncertainty its family gave (None for all of them) and renders as its family's sentence, byte
for byte as before the refactor.
"""
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Verdict:
    """One conclusion of a family.

    text:        the sentence the report prints, with its numbers (today's wording).
    claim:       the claim tested, short (e.g. "orthogonal tanh fastest, ReLU slowest
                 (Pennington et al. 2017)"); not printed today.
    estimate:    the headline number (a difference of means, a ratio, a count), or None when the
                 sentence has several of equal standing.
    interval:    (low, high) around `estimate`, or None (none is computed today).
    uncertainty: how `interval` was computed (e.g. "t-based 95%"), or None.
    runs:        names of the runs the verdict used, in report order.
    samples:     {arm label: per-run values} the estimate was computed from, when the verdict
                 compares arms: what an uncertainty estimator works on. None when not given.
    """
    text: str
    claim: str = ""
    estimate: Optional[float] = None
    interval: Optional[Tuple[float, float]] = None
    uncertainty: Optional[str] = None
    runs: Tuple[str, ...] = ()
    samples: Optional[Mapping[str, Sequence[float]]] = field(default=None, compare=False)


# The uncertainty estimator: a function Verdict → (interval, uncertainty) or None for "leave it
# as the family gave it". None (today): no estimator; install one with set_uncertainty.
UNCERTAINTY: Optional[Callable[[Verdict], Optional[Tuple[Optional[Tuple[float, float]],
                                                         Optional[str]]]]] = None


def set_uncertainty(fn):
    """Installs `fn` (or None) as the estimator every verdict passes through; returns the
    previous one (so a test can put it back)."""
    global UNCERTAINTY
    prev, UNCERTAINTY = UNCERTAINTY, fn
    return prev


def with_uncertainty(v):
    """The verdict with the installed estimator's interval and uncertainty (unchanged when
    there is none or it returns None)."""
    if UNCERTAINTY is None:
        return v
    got = UNCERTAINTY(v)
    if got is None:
        return v
    interval, how = got
    return replace(v, interval=interval, uncertainty=how)


def render(v, fmt=None):
    """The verdict's line in report.md (after "**Verdict:** "): its sentence, and when an
    interval is known, " (estimate E, interval [L, H], HOW)" after it. `fmt` formats numbers
    (tables.fmt)."""
    if v.interval is None:
        return v.text
    f = fmt or (lambda x: f"{x:.4g}")
    est = "" if v.estimate is None else f"estimate {f(v.estimate)}, "
    how = f", {v.uncertainty}" if v.uncertainty else ""
    return f"{v.text} ({est}interval [{f(v.interval[0])}, {f(v.interval[1])}]{how})"


def as_verdicts(items, **common):
    """Verdicts from a list of sentences or Verdicts (None entries dropped): for code that
    produces plain sentences; `common` fills the fields of the sentences' Verdicts."""
    out = []
    for x in items or []:
        if x is None:
            continue
        out.append(x if isinstance(x, Verdict) else Verdict(text=x, **common))
    return out
