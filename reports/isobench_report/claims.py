"""Building a family's claims from its runs: arms, pairs by seed, restricted steps, slopes.

Why: issue 20 (verdicts a statistician would sign). A family states its hypotheses as
stats.Claim objects (families/*.py, `claims`); this module holds what they share: which runs
form the two arms of a comparison, how runs pair (same configuration but the treatment, same
seed: with common random numbers they share their initial weights and batch order — see
docs/ARCHITECTURE.md), and how a counter enters a test (steps_to_target restricted at
budget + 1, on a log scale).

The unit of replication is the seed. A pair is (base, seed): `base` is what must match for two
runs to be compared (everything but the treatment), so a family whose grid crosses the
treatment with datasets or optimizers gets one paired difference per (dataset, optimizer, seed).
"""
import math
from collections import OrderedDict, defaultdict

from . import stats
from .inputs import counters, ok_runs, parse_name


def table(runs, counter, arm, base, transform=None):
    """{base: {arm: {seed: value}}} over the finished runs that report `counter`.

    arm(keys, model) → the run's arm label, or None when the run is not in the claim;
    base(keys, model) → the pairing key (hashable); transform(value, counters) → the value that
    enters the test (default: the counter itself)."""
    out = defaultdict(lambda: defaultdict(dict))
    for n, b in ok_runs(runs).items():
        _, model, k = parse_name(n)
        a = arm(k, model)
        c = counters(b)
        if a is None or counter not in c:
            continue
        v = transform(c[counter], c) if transform else c[counter]
        if v is None:
            continue
        out[base(k, model)][a][k.get("seed", "")] = v
    return out


def paired(tab, a, b):
    """(one value per seed, runs left without a partner, most cells averaged into one value).

    For every (base, seed) holding both arms, the difference a − b; the differences of one seed
    are then averaged over its bases (e.g. RQC's data sets × optimizers): runs of one seed share
    their initial weights across bases (common random numbers), so the cells of a seed are not
    independent — the seed is the unit of replication, and n is the number of seeds. Bases that
    hold only one of the arms (another treatment's runs) count no lone runs."""
    by_seed = {}
    lone = 0
    for arms in tab.values():
        xa, xb = arms.get(a, {}), arms.get(b, {})
        if not xa or not xb:
            continue
        for seed in xa:
            if seed in xb:
                by_seed.setdefault(seed, []).append(xa[seed] - xb[seed])
        lone += len(set(xa) ^ set(xb))
    values = tuple(sum(d) / len(d) for d in by_seed.values())
    return values, lone, max((len(d) for d in by_seed.values()), default=0)


def cells_note(cells, what="configurations"):
    """'each value averages 4 configurations of one seed' when more than one."""
    return f"each value averages {cells} {what} of one seed" if cells > 1 else ""


def pairing_note(lone):
    return (f"{lone} run(s) without a partner at the same seed left out" if lone else "")


def log_steps(v, c):
    """log of steps_to_target restricted at budget + 1 (stats.restricted_steps): a run that
    never reached the target counts as budget + 1 — restricted times, whose mean is the
    restricted mean time since every run of a comparison shares one budget (administrative
    censoring); on the log scale it is the mean log restricted time. A censored run's true time
    is larger, so a difference claim is conservative; an equivalence claim must not use censored
    runs (rqb.py: it is not judged then)."""
    budget = c.get("step_budget")
    if budget is None:
        return None
    return math.log(stats.restricted_steps(v, budget))


def censoring_note(runs, names_filter=None):
    """'k of n runs never reached the target …' over the runs that report steps_to_target."""
    k, n = censored(runs, names_filter)
    if not n:
        return ""
    return (f"{k} of {n} runs never reached the target (counted at budget + 1: a lower bound "
            f"on their steps)" if k else f"all {n} runs reached the target")


def per_seed_series(runs, counter, x_of, group, transform=None):
    """{group: {seed: {x: value}}}: for trends. x_of(keys) → the level (a number) or None;
    group(keys, model) → the series the run belongs to, or None. Several runs of one (group,
    seed, level) — e.g. the paper profile's tasks — are averaged (one value per seed and level)."""
    acc = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for n, b in ok_runs(runs).items():
        _, model, k = parse_name(n)
        g, x = group(k, model), x_of(k)
        c = counters(b)
        if g is None or x is None or counter not in c:
            continue
        v = transform(c[counter], c) if transform else c[counter]
        if v is not None:
            acc[g][k.get("seed", "")][x].append(v)
    out = defaultdict(dict)
    for g, by_seed in acc.items():
        out[g] = {seed: {x: sum(vs) / len(vs) for x, vs in by_x.items()}
                  for seed, by_x in by_seed.items()}
    return out


def censored(runs, keep=None):
    """(runs that never reached the target, runs with steps_to_target) among the finished runs
    whose keys pass `keep`."""
    n = k = 0
    for name, b in ok_runs(runs).items():
        c = counters(b)
        if "steps_to_target" not in c or "step_budget" not in c:
            continue
        if keep and not keep(parse_name(name)[2]):
            continue
        n += 1
        k += 0 if stats.reached(c["steps_to_target"], c["step_budget"]) else 1
    return k, n


def seed_slopes(series):
    """(levels, per-seed slopes, seeds left out): the slope of value on level for each seed that
    has every level (stats.slopes; a trend needs at least three levels — ValueError otherwise)."""
    levels = sorted({x for by_x in series.values() for x in by_x})
    full = OrderedDict((s, [by_x[x] for x in levels]) for s, by_x in series.items()
                       if all(x in by_x for x in levels))
    return levels, stats.slopes(levels, full), len(series) - len(full)


def slope_pairs(series_a, series_b):
    """Per-seed (slope of a − slope of b), over the seeds that have every level in both series
    (levels: those of a)."""
    levels = sorted({x for by_x in series_a.values() for x in by_x})
    out = []
    for s in series_a:
        if s not in series_b or not all(x in series_a[s] and x in series_b[s] for x in levels):
            continue
        sa = stats.slopes(levels, {s: [series_a[s][x] for x in levels]})
        sb = stats.slopes(levels, {s: [series_b[s][x] for x in levels]})
        if sa and sb:
            out.append(sa[0] - sb[0])
    return tuple(out)


def drop(keys, *names):
    """The keys without `names` and without the seed, as a hashable pairing key."""
    return tuple((k, v) for k, v in keys.items() if k not in names and k != "seed")
