"""The report's "NAME against the baselines" sections: for every method found in the results
that is not built in (method_select.builtin_methods), per family, its runs paired seed by seed
with each baseline under the same settings (no treatment, every other method of its kind).

Why: issue 17 (user methods and their protocol). A method's parameter grid (a penalty's λ, a
constraint's margin or rate, any key a user method adds) is chosen per configuration on
validation accuracy (best mean best_val_acc over seeds), for the method and for each baseline
alike, and the chosen value's test_acc is the figure to read. Differences are method − baseline
per seed; their mean has a t-based 95% interval (scipy.stats.t) when there are ≥ 2 pairs.

Which of a family's runs enter the comparison is the family's say (issue 23): its module's
Family.method_runs(runs) returns them (or None: no comparison), and `default_method_runs` applies
when it gives none — every run, when some run reports a compared counter (METRICS).
"""
import os
import statistics
from collections import OrderedDict

from . import stats
from . import verdicts as V
from .inputs import is_number, ok_runs, varying_keys, value
from .method_select import (CONTRACT_KEYS, KINDS, NO_TREATMENT, builtin_methods, context,
                            group_span, split_name)
from .tables import fmt, md_table, write_csv

# The counters compared, in order (those present are shown).
METRICS = ["test_acc", "best_val_acc", "final_loss", "steps_to_target", "ortho_err"]
SELECT_ON = "best_val_acc"  # a grid's value is chosen on this (validation), never on test
# Keys of a method's group that form its grid (chosen on validation); a key outside the
# contract's list (one a user method adds) is a grid key too.
GRID_KEYS = {"reg": ("lambda",), "constraint": ("margin", "rate"), "init": ()}
KIND_TITLE = {"reg": "penalty", "constraint": "constraint", "init": "initialization"}


def declared_user_methods(ctx):
    """{(kind, method)} from a results context's "user_methods" ("reg:brock_offdiag,..."; the
    binaries record the methods/ they were built with), or None when the context has none."""
    raw = (ctx or {}).get("user_methods")
    if not isinstance(raw, str):
        return None
    return {tuple(x.split(":", 1)) for x in raw.split(",") if ":" in x}


def user_methods(names, builtins=None, declared=None):
    """[(kind, method)] of the methods some run uses that are not built in, in name order. With
    `declared` (declared_user_methods of the results' context) exactly those are user methods."""
    builtins = builtin_methods() if builtins is None else builtins
    found = OrderedDict()
    for n in names:
        _, items = split_name(n)
        d = dict(items)
        for k in KINDS:
            v = d.get(k)
            if v is None or v == NO_TREATMENT:
                continue
            if (declared is not None and (k, v) in declared) or \
                    (declared is None and v not in builtins.get(k, ())):
                found[(k, v)] = True
    return list(found)


def arm_of(name, kind):
    """(variant, grid): the kind's group split into what names the arm ('so/norm:sum',
    'none') and its grid value ('lambda:0.01', '' when it has none)."""
    _, items = split_name(name)
    span = group_span(items, kind)
    if span is None:
        return NO_TREATMENT, ""
    group = items[span[0]:span[1]]
    variant, grid = [group[0][1]], []
    for k, v in group[1:]:
        (grid if k in GRID_KEYS[kind] or k not in CONTRACT_KEYS else variant).append(f"{k}:{v}")
    return "/".join(variant), "/".join(grid)


def seed_of(name):
    return dict(split_name(name)[1]).get("seed", "")


def without_seed(ctx):
    return "/".join(p for p in ctx.split("/") if not p.startswith("seed:"))


def mean_of(entries, c):
    vals = [value(b, c) for b in entries]
    vals = [v for v in vals if is_number(v)]
    return statistics.fmean(vals) if vals else None


def choose_grid(by_grid):
    """by_grid: OrderedDict grid value → {seed: entry}. Returns [(grid, how)]: the one value with
    the best mean best_val_acc when there are several and each has it ('chosen'), else every
    value ('only value' / 'not chosen: no best_val_acc')."""
    if len(by_grid) == 1:
        return [(next(iter(by_grid)), "only value")]
    means = {g: mean_of(list(s.values()), SELECT_ON) for g, s in by_grid.items()}
    if any(m is None for m in means.values()):
        return [(g, f"not chosen: no {SELECT_ON}") for g in by_grid]
    best = max(by_grid, key=lambda g: means[g])  # first of equals, in name order
    return [(best, f"chosen of {len(by_grid)}")]


def t_interval(diffs):
    """(low, high) of the t-based 95% interval of the mean of diffs (≥ 2 values)."""
    m, half, _ = stats.mean_interval(diffs)
    return m - half, m + half


def arm_label(variant, grid, how):
    """'so norm:sum, lambda=0.01 (chosen of 2)'."""
    g = ", " + ", ".join(x.replace(":", "=", 1) for x in grid.split("/")) if grid else ""
    return variant.replace("/", " ") + g + (f" ({how})" if how != "only value" else "")


def comparison_rows(kind, method, runs, claims=None):
    """The rows (markdown cells, CSV cells) comparing `method` (of `kind`) with its baselines in
    one family's runs, and the number of the method's runs that failed. With `claims` (a list),
    appends one stats.Claim per (configuration, method arm, baseline arm): the method's
    CLAIM_ON − the baseline's, paired by seed, a difference > 0."""
    ok = ok_runs(runs)
    failed = sum(1 for n, b in runs.items() if b.get("error_occurred") and
                 arm_of(n, kind)[0].split("/")[0] == method)
    # configuration (context without seed) → variant → grid → seed → entry
    table = OrderedDict()
    for n, b in ok.items():
        variant, grid = arm_of(n, kind)
        cfg = without_seed(context(n, kind))
        table.setdefault(cfg, OrderedDict()).setdefault(variant, OrderedDict()) \
             .setdefault(grid, OrderedDict())[seed_of(n)] = b
    cfgs = [c for c, vs in table.items() if any(v.split("/")[0] == method for v in vs)]
    shown = varying_keys(cfgs) if len(cfgs) > 1 else []
    rows = []
    for cfg in cfgs:
        parts = dict(split_name(cfg)[1])
        label = " ".join(f"{k}:{parts[k]}" for k in shown if k in parts) or cfg.split("/", 1)[1]
        if "model" in shown:
            label = split_name(cfg)[0][1] + " " + label
        arms = OrderedDict((v, choose_grid(g)) for v, g in table[cfg].items())
        for mv in (v for v in arms if v.split("/")[0] == method):
            for mgrid, mhow in arms[mv]:
                mine = table[cfg][mv][mgrid]
                for bv in (v for v in arms if v.split("/")[0] != method):
                    for bgrid, bhow in arms[bv]:
                        theirs = table[cfg][bv][bgrid]
                        rows += metric_rows(label, cfg, arm_label(mv, mgrid, mhow),
                                            arm_label(bv, bgrid, bhow), mine, theirs)
                        if claims is not None:
                            claims += method_claim(split_name(cfg)[0][0], label,
                                                   arm_label(mv, mgrid, mhow),
                                                   arm_label(bv, bgrid, bhow), mine, theirs)
    return rows, failed


# A method's claim against each baseline is judged on test accuracy (validation chose the
# grid values), else on validation accuracy.
CLAIM_ON = ("test_acc", "best_val_acc")


def method_claim(fam, label, mlabel, blabel, mine, theirs):
    """[stats.Claim] 'METHOD beats BASELINE' on the first CLAIM_ON counter both sides report,
    paired by seed; [] when neither is reported."""
    seeds = [s for s in mine if s in theirs]
    for c in CLAIM_ON:
        diffs = [value(mine[s], c) - value(theirs[s], c) for s in seeds
                 if is_number(value(mine[s], c)) and is_number(value(theirs[s], c))]
        if diffs:
            return [stats.Claim(
                family=fam, claim=f"{mlabel} beats {blabel} ({label})", kind="difference",
                metric=f"{c}, method − baseline, paired by seed", values=tuple(diffs),
                direction=+1, source="the method's plug-in (methods/)",
                note="grid values chosen on best_val_acc" if c != SELECT_ON else
                     "grid values chosen on this counter: the effect is favoured")]
    return []


def metric_rows(label, cfg, mlabel, blabel, mine, theirs):
    rows = []
    seeds = [s for s in mine if s in theirs]
    for c in METRICS:
        pairs = [(s, value(mine[s], c), value(theirs[s], c)) for s in seeds]
        pairs = [(s, a, b) for s, a, b in pairs if is_number(a) and is_number(b)]
        if not pairs:
            continue
        diffs = [a - b for _, a, b in pairs]
        ma = statistics.fmean(a for _, a, _ in pairs)
        mb = statistics.fmean(b for _, _, b in pairs)
        md = statistics.fmean(diffs)
        lo = hi = None
        if len(diffs) >= 2:
            lo, hi = t_interval(diffs)
        per_seed = ", ".join(f"{s}: {fmt(d)}" for (s, _, _), d in zip(pairs, diffs))
        ci = "—" if lo is None else f"[{fmt(lo)}, {fmt(hi)}]"
        rows.append(([label, mlabel, blabel, c, str(len(pairs)), fmt(ma), fmt(mb), per_seed,
                      fmt(md), ci],
                     [cfg, mlabel, blabel, c, len(pairs), ma, mb,
                      "; ".join(f"{s}:{d!r}" for (s, _, _), d in zip(pairs, diffs)), md,
                      "" if lo is None else lo, "" if hi is None else hi]))
    return rows


HEADER = ["configuration", "method", "baseline", "counter", "pairs", "method mean",
          "baseline mean", "difference per seed (seed: method − baseline)", "mean difference",
          "95% interval (t)"]
CSV_HEADER = ["configuration", "method", "baseline", "counter", "pairs", "method_mean",
              "baseline_mean", "differences_per_seed", "mean_difference", "ci_low", "ci_high"]


def default_method_runs(runs):
    """The generic hook (Family.method_runs): all the family's runs, or None (no comparison)
    when no run without error reports a compared counter (METRICS) — a family of speeds has its
    own tables only."""
    if not any(value(b, c) is not None for b in ok_runs(runs).values() for c in METRICS):
        return None
    return runs


def sections(fam, runs, out, inp=None, builtins=None, method_runs=None, judged=None):
    """The markdown lines of the "NAME against the baselines" sections of one family (one per
    user method with runs in it); writes each table as CSV. `method_runs` is the family's hook
    (Family.method_runs; None: default_method_runs) choosing the runs compared. Each method's
    claims (one per baseline and configuration) are judged together (Holm over that method's
    comparisons in this family) and appended to `judged`. Never raises on the data: a failure
    becomes a note in the section and a problem of the inputs."""
    md = []
    runs = (method_runs or default_method_runs)(runs)
    if not runs:
        return md
    declared = declared_user_methods(inp.context) if inp is not None else None
    for kind, method in user_methods(runs, builtins, declared):
        md += [f"## {method} against the baselines — {fam}", ""]
        try:
            md += section_body(fam, kind, method, runs, out, judged)
        except Exception as e:  # a broken comparison must not cost the rest of the report
            msg = (f"{fam}: the comparison of {method} could not be computed "
                   f"({type(e).__name__}: {e})")
            if inp is not None:
                inp.problems.add(msg)
            md += [f"> Note: {msg}.", ""]
    return md


def section_body(fam, kind, method, runs, out, judged=None):
    claims = []
    rows, failed = comparison_rows(kind, method, runs, claims)
    word = KIND_TITLE[kind]
    grid = " or ".join(GRID_KEYS[kind]).replace("lambda", "λ") or "grid"
    others = f"another {word}" if kind == "init" else f"no {word} or another {word}"
    md = [f"{method} is a user {word} (`{kind}:{method}`). Each of its runs is paired with the "
          f"runs of {fam} that differ only in the {word} ({others}) at the same settings and "
          f"seed; a difference "
          f"is {method} − baseline for one seed, and the interval is t-based (95%) over the "
          f"seeds when there are at least two. Where a method or a baseline was run at several "
          f"values of its {grid} (or of a key it adds), the value with the best mean "
          f"{SELECT_ON} over seeds is kept per configuration (chosen on validation, marked "
          f"'chosen'); read its **test_acc**: its {SELECT_ON} is favoured by the choice.", ""]
    if failed:
        md += [f"{failed} run(s) of {method} in {fam} failed and are left out (see *Runs that "
               f"failed*).", ""]
    if not rows:
        md += [f"No pair to compare: no baseline of {method} in {fam} ran at the same settings "
               f"and seed with any of {', '.join(METRICS)}.", ""]
        return md
    csv_name = f"{fam.lower()}_{method}_vs_baselines.csv"
    write_csv(os.path.join(out, csv_name), CSV_HEADER, rows)
    verdicts = stats.judge(claims) if claims else []
    for v in verdicts:
        md += [f"**Verdict:** {V.render_judged(v)}", ""]
    if verdicts:
        vcsv = f"{fam.lower()}_{method}_verdicts.csv"
        write_csv(os.path.join(out, vcsv), V.CSV_HEADER, V.table_rows(verdicts))
        md += [f"The claims above, judged together (Holm over {len(verdicts)}; "
               f"[{vcsv}]({vcsv})):", "", md_table(V.TABLE_HEADER, V.table_rows(verdicts)), ""]
        if judged is not None:
            judged.extend(verdicts)
    md += [f"[{csv_name}]({csv_name}):", "", md_table(HEADER, rows), ""]
    return md
