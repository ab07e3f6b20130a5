#!/usr/bin/env python3
"""Convergence regression check: compare a results file with a baseline, run by run.

usage: regress.py RESULTS.json [--baseline BASELINE.json]

For every run present on both sides, each convergence counter is compared under its tolerance:

  steps_to_target   regression when now > baseline·(1 + 10 %) + 2 steps  (slower to converge)
  final_loss        regression when now > baseline·(1 + 5 %) + 1e-6
  final_acc, best_val_acc, test_acc
                    regression when now < baseline − 0.01                 (one point of accuracy)
  converged         regression when 1 → 0;  diverged: regression when 0 → 1

The mirror-image changes are reported as improvements. Runs missing on either side are listed
(not a failure: a filtered run is compared with what it has).

Then the verdicts: each side's claims are judged with the report's own code (every family's
claims + stats.judge, Holm per family: isobench_report/judge_runs.py; no figures) on the runs
both files hold (so n and the seeds are the same on both sides), and the
section "verdicts whose outcome changed" lists every claim whose outcome differs (family, claim,
baseline → now outcome, effect and Holm-adjusted p on each side) and the claims judged on one
side only. Only a supported <-> contradicted flip fails; a change to or from inconclusive (fewer
seeds, a noisier run, a claim newly testable) is shown, not failed. When the verdicts cannot be
computed (e.g. SciPy/statsmodels missing) the section says why and the counters alone decide.
The committed baseline holds only RQB's fixed-rate runs, which no claim uses: compare verdicts
with --baseline set to a whole earlier results.json (e.g. a reference's).

Exit 1 on any counter regression or verdict flip, 2 when the inputs cannot be compared
(unreadable, or made on different data: datasets are compared by the md5 of their decompressed
files, not by name or location), else 0.
The same table compares any two results files: an A/B of a change.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BASELINE = os.path.join(HERE, "..", "tests", "regression", "baseline.json")
FLIP = {"supported", "contradicted"}
ITER_SUFFIX = "/iterations:1"

# counter → (direction, relative tolerance, absolute tolerance); direction +1: larger is worse.
TOLERANCES = {
    "steps_to_target": (+1, 0.10, 2.0),
    "final_loss": (+1, 0.05, 1e-6),
    "final_acc": (-1, 0.0, 0.01),
    "best_val_acc": (-1, 0.0, 0.01),
    "test_acc": (-1, 0.0, 0.01),
    "converged": (-1, 0.0, 0.5),
    "diverged": (+1, 0.0, 0.5),
}


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
        runs = {}
        for b in d.get("benchmarks", []):
            name = b.get("name", "")
            if name.endswith(ITER_SUFFIX):
                name = name[: -len(ITER_SUFFIX)]
            if name and not b.get("error_occurred"):
                runs[name] = b
        return d.get("context", {}), runs
    except (OSError, ValueError) as e:
        print(f"regress: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def digests(entry):
    """({role: set of md5}, why not) of a dataset's files (context["datasets"][name] as
    sweep/isobench_sweep/merge_runs.py writes it): the digests, or None and the reason some file
    has none."""
    files = entry.get("files") if isinstance(entry, dict) else None
    if not files:
        return None, "records no files for it (made before isobench recorded md5s)"
    out = {}
    for f in files:
        if not isinstance(f, dict) or not f.get("md5"):
            why = f.get("md5_error") if isinstance(f, dict) else None
            if why:
                return None, f"could not digest {f.get('path')} when it was written ({why})"
            return None, "records no md5 for some file (made before isobench recorded md5s)"
        out.setdefault(str(f.get("role")), set()).add(f["md5"])
    return out, None


def dataset_difference(name, base, now):
    """None when dataset `name` is the same data on both sides, else why not (or why it cannot be
    told). Compared by the md5 of the decompressed files, never by description or location: the
    same files elsewhere, renamed or recompressed compare equal; other bytes, or files in a role
    only one side read (e.g. pretrained word vectors), do not."""
    (bd, bwhy), (nd, nwhy) = digests(base), digests(now)
    if bd is None or nd is None:
        side, why = ("baseline", bwhy) if bd is None else ("results", nwhy)
        return f"the {side} {why} for '{name}'; cannot tell whether the data is the same"
    if set(bd) != set(nd):
        return (f"'{name}' was read from files of other roles ({sorted(bd)} in the baseline, "
                f"{sorted(nd)} now)")
    diff = [r for r in sorted(bd) if bd[r] != nd[r]]
    if diff:
        return "; ".join(f"{r}: md5 {', '.join(sorted(bd[r]))} in the baseline, "
                         f"{', '.join(sorted(nd[r]))} now" for r in diff)
    return None


def verdict(counter, base, now):
    sign, rel, abs_ = TOLERANCES[counter]
    if sign > 0:
        if now > base * (1 + rel) + abs_:
            return "REGRESSION"
        if now < base * (1 - rel) - abs_:
            return "improved"
    else:
        if now < base * (1 - rel) - abs_:
            return "REGRESSION"
        if now > base * (1 + rel) + abs_:
            return "improved"
    return "ok"


def judged(base_path, now_path):
    """({(family, claim): stats.Verdict} of the baseline, the same of the results), each judged
    as the report judges but on the runs both files hold: a claim judged on different runs on
    the two sides (another n, other seeds) would change for that reason alone."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import contextlib
    import io
    from collections import OrderedDict
    from isobench_report.inputs import load_inputs
    from isobench_report.judge_runs import judge_inputs
    with contextlib.redirect_stderr(io.StringIO()):  # the report's input warnings: not ours
        sides = [load_inputs([base_path]), load_inputs([now_path])]
    shared = set(sides[0].runs) & set(sides[1].runs)
    out = []
    for path, inp in zip((base_path, now_path), sides):
        inp.runs = OrderedDict((k, v) for k, v in inp.runs.items() if k in shared)
        with contextlib.redirect_stderr(io.StringIO()):
            by_fam, problems = judge_inputs(inp)
        for p in problems:
            print(f"regress: {path}: {p}", file=sys.stderr)
        out.append({(v.family, v.claim.claim): v for vs in by_fam.values() for v in vs})
    return out


def verdict_changes(base_path, now_path):
    """Prints the section "verdicts whose outcome changed"; returns the number of
    supported <-> contradicted flips (None when the verdicts could not be computed)."""
    try:
        b, n = judged(base_path, now_path)
        from isobench_report.verdicts import num, pval
    except Exception as e:  # e.g. SciPy or statsmodels missing: the counters still decide
        print(f"verdicts whose outcome changed: not computed ({type(e).__name__}: {e}); "
              f"install python3-scipy and python3-statsmodels (./isobench deps)")
        return None
    rows, flips = [], 0
    for key in sorted(set(b) & set(n)):
        vb, vn = b[key], n[key]
        if vb.outcome == vn.outcome:
            continue
        flip = {vb.outcome, vn.outcome} == FLIP
        flips += flip
        rows.append((key[0], key[1], vb.outcome, vn.outcome,
                     f"{num(vb.effect)} → {num(vn.effect)}",
                     f"{pval(vb.p_adjusted)} → {pval(vn.p_adjusted)}",
                     "FLIP" if flip else "shown"))
    for key in sorted(set(b) - set(n)):
        v = b[key]
        rows.append((key[0], key[1], v.outcome, "(not judged)", f"{num(v.effect)} → —",
                     f"{pval(v.p_adjusted)} → —", "baseline only"))
    for key in sorted(set(n) - set(b)):
        v = n[key]
        rows.append((key[0], key[1], "(not judged)", v.outcome, f"— → {num(v.effect)}",
                     f"— → {pval(v.p_adjusted)}", "now only"))
    both = len(set(b) & set(n))
    if not rows:
        print(f"verdicts whose outcome changed: none ({both} claims judged on both sides)")
        return 0
    head = ("family", "claim", "baseline", "now", "effect", "p_adjusted", "verdict")
    print(f"verdicts whose outcome changed (baseline → now; {both} claims judged on both sides; "
          f"only supported <-> contradicted fails):")
    w = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in enumerate(head)]
    line = "  ".join("{:<" + str(x) + "}" for x in w)
    print(line.format(*head))
    for r in rows:
        print(line.format(*r).rstrip())
    return flips


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--baseline", default=DEFAULT_BASELINE)
    a = ap.parse_args()
    bctx, base = load(a.baseline)
    nctx, now = load(a.results)
    bd, nd = bctx.get("datasets") or {}, nctx.get("datasets") or {}
    for ds in sorted(set(bd) & set(nd)):
        why = dataset_difference(ds, bd[ds], nd[ds])
        if why:
            desc = lambda e: e.get("description") if isinstance(e, dict) else e
            print(f"regress: refusing to compare: dataset '{ds}' differs: {why}.\n"
                  f"  baseline ({a.baseline}): {desc(bd[ds])}\n"
                  f"  results  ({a.results}): {desc(nd[ds])}\n"
                  f"Make the baseline on the same data (see README, 'Convergence regression "
                  f"tracking').", file=sys.stderr)
            return 2

    rows, regressions = [], 0
    for name in sorted(set(base) & set(now)):
        for c in TOLERANCES:
            if c in base[name] and c in now[name]:
                b, n = float(base[name][c]), float(now[name][c])
                v = verdict(c, b, n)
                regressions += v == "REGRESSION"
                change = f"{(n - b) / b * 100:+.1f} %" if b != 0 else f"{n - b:+g}"
                rows.append((name, c, f"{b:g}", f"{n:g}", change, v))
    w = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in
         enumerate(["run", "counter", "baseline", "now", "change", "verdict"])]
    line = "  ".join("{:<" + str(x) + "}" for x in w)
    print(line.format("run", "counter", "baseline", "now", "change", "verdict"))
    for r in rows:
        print(line.format(*r))
    only_base = sorted(set(base) - set(now))
    only_now = sorted(set(now) - set(base))
    for n in only_base:
        print(f"missing in results (in baseline only): {n}")
    for n in only_now:
        print(f"new run (not in baseline): {n}")
    compared = len(set(base) & set(now))
    print(f"regress: {compared} runs compared, {len(rows)} counters, {regressions} regressions")
    if compared == 0:
        print("regress: no run in common with the baseline: nothing was compared", file=sys.stderr)
        return 2
    flips = verdict_changes(a.baseline, a.results)
    if flips:
        print(f"regress: {flips} verdict(s) flipped between supported and contradicted")
    return 1 if regressions or flips else 0


if __name__ == "__main__":
    sys.exit(main())
