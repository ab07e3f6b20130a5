"""Verdicts and observations: how the report prints what a family measured and what it judged.

Why: issue 20 (verdicts a statistician would sign). A family gives two kinds of lines:

- observations (`Verdict` objects from Family.verdicts: a sentence with its numbers, judging
  nothing; printed as "**Observed:** …");
- claims (stats.Claim from Family.claims), judged together by stats.judge (the test, Holm
  across the family's claims, the outcome) and printed here: one "**Verdict:** …" line per
  claim, the family's claims table (markdown + `FAM_verdicts.csv`), a figure of the effects with
  their intervals (`fam_verdicts.png`), and `verdicts.json` for the whole report.
"""
import json
import math
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Tuple

from .checked_write import write_file
from .inputs import counters, ok_runs
from .plotting import plt, save


@dataclass(frozen=True)
class Verdict:
    """One observation of a family: what was measured, in a sentence (its numbers included).

    text:     the sentence the report prints after "**Observed:** ".
    claim:    unused by the report (kept for family modules written against the old form).
    estimate, interval, uncertainty, samples: optional numbers behind the sentence.
    runs:     names of the runs the sentence used.
    """
    text: str
    claim: str = ""
    estimate: Optional[float] = None
    interval: Optional[Tuple[float, float]] = None
    uncertainty: Optional[str] = None
    runs: Tuple[str, ...] = ()
    samples: Optional[Mapping[str, Sequence[float]]] = field(default=None, compare=False)


def runs_reporting(runs, *names):
    """The names of the finished runs that report any of the counters `names` (an observation's
    `runs`: which runs its numbers came from)."""
    return tuple(n for n, b in ok_runs(runs).items() if any(c in counters(b) for c in names))


def render(v, fmt=None):
    """An observation's line in report.md (after "**Observed:** ")."""
    if v.interval is None:
        return v.text
    f = fmt or (lambda x: f"{x:.4g}")
    est = "" if v.estimate is None else f"estimate {f(v.estimate)}, "
    how = f", {v.uncertainty}" if v.uncertainty else ""
    return f"{v.text} ({est}interval [{f(v.interval[0])}, {f(v.interval[1])}]{how})"


def as_verdicts(items, **common):
    """Observations from a list of sentences or Verdicts (None entries dropped)."""
    out = []
    for x in items or []:
        if x is None:
            continue
        out.append(x if isinstance(x, Verdict) else Verdict(text=x, **common))
    return out


# ------------------------------------------------------------------------ judged claims
def num(x, digits=3):
    """A number for a verdict line: `digits` significant digits, '—' for None."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    return f"{x:+.{digits}g}" if x < 0 else f"{x:.{digits}g}"


def pval(p):
    if p is None:
        return "—"
    return "< 0.0001" if p < 1e-4 else f"{p:.2g}"


def interval(lo, hi):
    return "—" if lo is None or hi is None else f"[{num(lo)}, {num(hi)}]"


def hypothesis(v):
    """The claim's hypothesis in words: 'effect > 0', '|effect| < 0.2', 'effect > −0.01'."""
    if v.kind == "difference":
        return "effect > 0" if v.direction > 0 else "effect < 0"
    if v.kind == "equivalence":
        return f"|effect| < {num(v.margin)}"
    return f"effect > {num(-v.margin)}" if v.direction > 0 else f"effect < {num(v.margin)}"


def render_judged(v):
    """A judged claim's line in report.md (after "**Verdict:** ")."""
    head = (f"**{v.outcome}** — {v.claim.claim} ({v.kind}: {hypothesis(v)}; "
            f"{v.metric}). ")
    if v.effect is None:
        return head + f"Not tested: {v.reason} (n = {v.n})."
    body = (f"Effect {num(v.effect)}, 95 % CI {interval(v.ci_low, v.ci_high)}, simultaneous "
            f"{interval(v.sim_low, v.sim_high)}; {v.test}, Holm-adjusted p {pval(v.p_adjusted)}, "
            f"n = {v.n}.")
    if v.sd == 0:
        body += f" ({v.reason}.)"
    elif v.outcome == "inconclusive" and v.mde is not None:
        if v.kind == "equivalence":
            body += (f" Equivalence is shown with power 0.8 (at α/m) only while |true effect| < "
                     f"{num(v.mde)}." if v.mde > 0 else
                     " These seeds cannot show equivalence within this margin with power 0.8 "
                     "(at α/m) even at no effect.")
        else:
            body += f" Smallest effect detectable with power 0.8 at α/m: {num(v.mde)}."
        if v.claim.literature_effect is not None:
            body += (f" At the expected effect {num(v.claim.literature_effect)}, "
                     f"{v.seeds_needed} seeds would reach power 0.8." if v.seeds_needed else
                     f" The expected effect {num(v.claim.literature_effect)}: no number of "
                     f"seeds reaches power 0.8 at this spread.")
        else:
            body += " The source states no effect size to plan seeds for."
    extra = "; ".join(x for x in (v.claim.note, v.claim.margin_reason and
                                  f"margin: {v.claim.margin_reason}",
                                  v.claim.source and f"source: {v.claim.source}") if x)
    return head + body + (f" ({extra})" if extra else "")


TABLE_HEADER = ["claim", "kind", "effect", "95% CI", "simultaneous CI", "test", "p (Holm)", "n",
                "outcome", "mde", "seeds needed"]
CSV_HEADER = ["family", "claim", "kind", "metric", "effect", "ci_low", "ci_high", "sim_low",
              "sim_high", "test", "p", "p_adjusted", "n", "outcome", "mde", "seeds_needed",
              "margin"]


def table_rows(judged):
    """(markdown cells, csv cells) per judged claim."""
    rows = []
    for v in judged:
        j = v.as_json()
        md = [v.claim.claim, v.kind + (f" (±{num(v.margin)})" if v.kind == "equivalence" else
                                       f" ({hypothesis(v)})" if v.kind == "non-inferiority"
                                       else ""),
              num(v.effect), interval(v.ci_low, v.ci_high), interval(v.sim_low, v.sim_high),
              v.test, pval(v.p_adjusted), str(v.n), v.outcome, num(v.mde),
              "—" if v.seeds_needed is None else str(v.seeds_needed)]
        rows.append((md, ["" if j.get(k) is None else j.get(k) for k in CSV_HEADER]))
    return rows


OUTCOME_COLORS = {"supported": "#2ca02c", "contradicted": "#d62728", "inconclusive": "#7f7f7f"}


def fig_effects(fam, judged, out):
    """Each claim's effect with its 95 % interval (thick) and simultaneous interval (thin), the
    null or margin marked, coloured by outcome; n in the label. None when no claim has an
    effect. Claims on different scales share the figure: each row is its own metric."""
    rows = [v for v in judged if v.effect is not None]
    if not rows:
        return None
    fig, axes = plt.subplots(len(rows), 1, figsize=(8.6, 0.62 * len(rows) + 0.9), squeeze=False)
    for ax, v in zip(axes[:, 0], rows):
        c = OUTCOME_COLORS.get(v.outcome, "black")
        if v.sim_low is not None:
            ax.plot([v.sim_low, v.sim_high], [0, 0], color=c, lw=1.2)
        if v.ci_low is not None:
            ax.plot([v.ci_low, v.ci_high], [0, 0], color=c, lw=4, alpha=0.7)
        ax.plot([v.effect], [0], "o", color=c, ms=6)
        ax.axvline(0, color="grey", lw=0.8)
        if v.margin is not None and v.kind == "equivalence":
            for x in (-v.margin, v.margin):
                ax.axvline(x, color="grey", lw=0.8, ls="--")
        elif v.margin is not None:
            ax.axvline(-v.margin * v.direction, color="grey", lw=0.8, ls="--")
        label = v.claim.claim if len(v.claim.claim) <= 70 else v.claim.claim[:67] + "…"
        ax.set_title(f"{label} — {v.outcome}, n = {v.n}", fontsize=7.5, loc="left", pad=2)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=7)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
    fig.suptitle(f"{fam}: effects with 95 % intervals (thick) and simultaneous intervals (thin); "
                 f"dashed: margins", fontsize=9)
    fig.tight_layout()
    return save(fig, out, f"{fam.lower()}_verdicts.png")


def write_json(path, judged):
    """verdicts.json: a JSON array, one object per judged claim (stats.Verdict.as_json), in
    report order; α and power: stats.ALPHA, stats.POWER (docs/REPORT.md)."""
    def write(tmp):
        with open(tmp, "w") as fh:
            json.dump([v.as_json() for v in judged], fh, indent=1, allow_nan=False)
            fh.write("\n")
    return write_file(path, write)
