"""`./isobench bench --probe`: one seed of every selected configuration, a slice of its budget,
and a class for each (docs/SWEEPS.md, "The probe").

The binaries do the work (ISOBENCH_PROBE=1; benchmarks/common/probe.hpp): every training run
trains min(5 % of its budget, 60 s), RQA measures one input sequence instead of four, and each
run reports probe_class by the criteria its family states in its header (learning, plateau,
flat, diverged; RQA: finite or not_finite) with the evidence behind it (probe_* counters). This
module chooses the runs (select), estimates what the probe costs (probe_cost), and reads the
results into the probe's table (summarize): every configuration's class, its measured cost per
step and the full run projected from it beside the cost table's estimate, and for every
configuration that probed flat, diverged or not finite a one-line hint of what to check.

Outputs, next to results.json: probe.json ({"counts": {family: {class: n}}, "runs": [row]}) and
probe.txt (the table the driver prints).
"""
import json
import os
import re

from .binaries import strip_iter

# probe_class's numbers (probe.hpp's ProbeClass; docs/CONTRACT.md).
CLASSES = {0: "flat", 1: "learning", 2: "plateau", 3: "diverged", 4: "finite", 5: "not_finite"}
# What the probe flags for a diagnosis (docs/PAPER_PROFILE.md holds each flagged configuration's).
FLAGGED = ("flat", "diverged", "not_finite", "unclassified")
PROBE_FRACTION, PROBE_SECONDS = 0.05, 60.0  # probe.hpp's kProbeFraction, kProbeSeconds


def probe_seconds():
    """The slice's cap: $ISOBENCH_PROBE_SECONDS (the binaries' probe_seconds()), else 60."""
    try:
        v = float(os.environ.get("ISOBENCH_PROBE_SECONDS") or PROBE_SECONDS)
    except ValueError:
        return PROBE_SECONDS  # the binaries refuse it, naming the variable
    return v if v > 0 else PROBE_SECONDS
RQA_SEQUENCES = 4  # family_rqa_rnn.cpp's kSequences (the probe measures one)
SEED = re.compile(r"/seed:\d+$")


def config_of(name):
    """The configuration a run belongs to: its name without the seed (the contract's last key)."""
    return SEED.sub("", strip_iter(name))


def family_of(name):
    """'FAMILY/model' of a run name (RQA/mlp and RQA/rnn probe differently)."""
    return "/".join(name.split("/")[:2])


def select(names):
    """The probe's runs among names (in order): the first seed of every configuration; PERF,
    which measures speed, is left out."""
    seen, out = set(), []
    for n in names:
        if n.startswith("PERF/"):
            continue
        c = config_of(n)
        if c not in seen:
            seen.add(c)
            out.append(n)
    return out


def probe_cost(name, estimate):
    """The probe's cost of run name from the full run's estimate (seconds): RQA/rnn a quarter
    (one of its four sequences), the rest of RQA in full (it does not train), a training run
    min(5 %, 60 s) of its training plus a second for loading and evaluating."""
    if name.startswith("RQA/rnn/"):
        return estimate / RQA_SEQUENCES
    if name.startswith("RQA/"):
        return estimate
    return min(PROBE_FRACTION * estimate, probe_seconds()) + 1.0


class ProbeTable:
    """A cost table (costs.Table) whose estimates are the probe's: probe_cost of the full run's."""

    def __init__(self, table):
        self.full = table

    def __getattr__(self, attr):
        return getattr(self.full, attr)

    def estimate(self, name):
        return probe_cost(name, self.full.estimate(name))


def _pct(new, old):
    return (new - old) / old * 100 if old else float("nan")


def hint(row):
    """One line: what to check for a flagged configuration (empty for the others)."""
    cls, c = row["class"], row["counters"]
    # Which way the loss moved: from its initial value; how far it had to fall: from the reference.
    li, lf = c.get("probe_loss_initial"), c.get("probe_loss_final")
    ref = c.get("probe_loss_reference", li)
    if cls == "unclassified":
        return ("no probe counters: the run failed (see its error above) or its family does not "
                "report the probe (benchmarks/common/probe.hpp)")
    if cls == "not_finite":
        return ("a spectrum counter is not finite: the product left double's range or the "
                "weights are not numbers — read the run's trace")
    if cls == "diverged":
        return ("diverged within the slice: lower the learning rate (try ISOBENCH_LR_SCALE=0.1), "
                "clip the gradient, or check that the inputs are scaled as the source's")
    if cls != "flat":
        return ""
    need_grad = c.get("probe_need_grad")
    grad = c.get("probe_grad_norm")
    if need_grad is not None and grad is not None and grad < need_grad:
        return (f"the gradient vanishes (|grad| {grad:.2g} < {need_grad:.2g}): the init, gain or "
                f"input scale leaves the network off criticality — check them against the source")
    if li is not None and lf is not None:
        change = _pct(lf, li)
        if change > 1:
            return (f"the loss rose {change:+.0f} % without diverging: lower the learning rate "
                    f"(try ISOBENCH_LR_SCALE=0.3)")
        if abs(change) <= 1:
            return ("nothing moved (loss within 1 %): the learning rate is far too small for this "
                    "model (try ISOBENCH_LR_SCALE=10), or no gradient reaches the weights")
        floor = c.get("probe_loss_floor", 0.0)
        need = floor + (1 - c.get("probe_need_loss_drop", 0.1)) * (ref - floor)
        steps, full = c.get("probe_steps"), c.get("probe_full_steps")
        capped = steps is not None and full is not None and steps < PROBE_FRACTION * full - 1
        return (f"learning too slowly for the slice (loss {li:.4g} -> {lf:.4g}, needs <= "
                f"{need:.4g})"
                + (f"; the time cap cut it to {steps:.0f} steps, below 5 % of {full:.0f} — look "
                   f"further: ISOBENCH_PROBE_SECONDS=300 ISOBENCH_OUT=<another directory> "
                   f"./isobench bench --probe --filter '<this run without /seed:1>'" if capped else
                   ": raise the learning rate (try ISOBENCH_LR_SCALE=3), or the slice ends inside "
                   "the early transient — check the budget against the source's"))
    return "no loss measured: read the run's trace"


def rows_of(results, estimate=None):
    """One row per run of a probe's results (the parsed results.json): name, family, class
    (CLASSES' word, or "unclassified" for a run without probe_class), counters (the probe_*
    ones), error (the run's error message, if any), and — for a training run that measured its
    cost per step — projected_seconds (probe_step_seconds × probe_full_steps) and, with
    estimate(name) -> seconds, estimated_seconds from the cost table."""
    out = []
    for b in results.get("benchmarks", []):
        name = strip_iter(b.get("name", ""))
        counters = {k: v for k, v in b.items() if k.startswith("probe_")}
        code = counters.get("probe_class")
        cls = CLASSES.get(int(code), "unclassified") if isinstance(code, (int, float)) else \
            "unclassified"
        row = {"name": name, "family": family_of(name), "class": cls, "counters": counters}
        if b.get("error_occurred"):
            row["error"] = b.get("error_message", "")
        sps, full = counters.get("probe_step_seconds"), counters.get("probe_full_steps")
        if sps is not None and full is not None:
            row["projected_seconds"] = sps * full
            if estimate is not None:
                e = estimate(name)
                if e is not None:
                    row["estimated_seconds"] = e
        row["hint"] = hint(row)
        out.append(row)
    return out


def counts(rows):
    """{family: {class: n}} in first-seen order."""
    out = {}
    for r in rows:
        fam = out.setdefault(r["family"], {})
        fam[r["class"]] = fam.get(r["class"], 0) + 1
    return out


def _duration(s):
    if s is None:
        return "-"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.1f} s"


def table(rows):
    """The probe's report as text: counts per family and class, the cost per step and projected
    full run of each configuration, then every flagged configuration with its hint."""
    lines = ["# probe: classes per family (one seed per configuration)"]
    classes = [c for c in list(CLASSES.values()) + ["unclassified"]
               if any(r["class"] == c for r in rows)]
    lines.append(f"{'family':<22}" + "".join(f"{c:>13}" for c in classes) + f"{'total':>8}")
    for fam, n in counts(rows).items():
        lines.append(f"{fam:<22}" + "".join(f"{n.get(c, 0):>13}" for c in classes)
                     + f"{sum(n.values()):>8}")
    lines.append(f"{'all':<22}" + "".join(f"{sum(r['class'] == c for r in rows):>13}"
                                          for c in classes) + f"{len(rows):>8}")
    lines.append("")
    lines.append("# cost: seconds per step measured in the slice; the full run projected from it "
                 "(steps × s/step, training only) beside the cost table's estimate")
    for r in rows:
        if "projected_seconds" not in r:
            continue
        c = r["counters"]
        lines.append(f"{r['class']:<9} {c['probe_step_seconds'] * 1e3:9.2f} ms/step  "
                     f"full {_duration(r['projected_seconds']):>9}  "
                     f"table {_duration(r.get('estimated_seconds')):>9}  {r['name']}")
    flagged = [r for r in rows if r["class"] in FLAGGED]
    lines.append("")
    lines.append(f"# flagged: {len(flagged)} configuration(s) flat, diverged, not finite or "
                 f"unclassified"
                 + (" — each needs a diagnosis (docs/PAPER_PROFILE.md)" if flagged else ""))
    for r in flagged:
        lines.append(f"{r['class']:<12} {r['name']}")
        lines.append(f"             hint: {r['hint']}")
    return "\n".join(lines) + "\n"


def summarize(out, estimate=None):
    """Reads out/results.json, writes out/probe.json and out/probe.txt, returns (text, rows).
    Raises OSError or ValueError (not JSON) naming the file."""
    path = os.path.join(out, "results.json")
    with open(path) as f:
        try:
            results = json.load(f)
        except ValueError as e:
            raise ValueError(f"{path} is not JSON: {e}") from None
    rows = rows_of(results, estimate)
    text = table(rows)
    with open(os.path.join(out, "probe.json"), "w") as f:
        json.dump({"counts": counts(rows), "runs": rows}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "probe.txt"), "w") as f:
        f.write(text)
    return text, rows
