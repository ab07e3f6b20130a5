"""Tests of the report's family interface (reports/isobench_report/families/, issue 23): every
family module exports it; a new family module dropped into the package is discovered and rendered
with no other change; a broken module is named; the method-comparison hook and the claims hook
plug in as docs/REPORT.md says; every family with claims in the synthetic data has them judged.

    /usr/bin/python3 -m unittest discover -s tests/report -p test_families.py -v
"""
import contextlib
import dataclasses
import importlib
import inspect
import io
import json
import os
import pkgutil
import shutil
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))
sys.path.insert(0, HERE)

import synth  # noqa: E402
from isobench_report import cli, families, inputs, stats, verdicts  # noqa: E402
from isobench_report.families import Family, FamilyModuleError, Section  # noqa: E402

# docs/CONTRACT.md "Benchmark names": the families, in report order.
CONTRACT_FAMILIES = ["RQA", "RQB", "RQC", "RQD", "RQE", "SEED", "SENT", "TASK", "PERF"]

# A family module as a user would write it: its own key ("widgets", labelled "w=…", first in
# labels), its own counter, one figure and one verdict.
DROP_IN = '''
"""WIDG — a family that exists only in this test."""
from isobench_report.families import Family
from isobench_report.plotting import plt, save
from isobench_report.training import ranking_verdict


def figures(s):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(range(len(s.runs)), [b.get("widgets_made", 0) for b in s.runs.values()])
    return [(save(fig, s.out, "widg_bars.png"), "Widgets made per run.")]


def verdicts(s):
    return [ranking_verdict(s.name, s.runs, acc="widgets_made")]


FAMILY = Family(name="WIDG", order=55, title="WIDG — widget throughput",
                counters=["widgets_made"], figures=figures, verdicts=verdicts,
                key_order=["widgets", "size"], key_labels={"widgets": "w={v}"})
'''


def entry(name, **counters):
    return dict(name=name, run_name=name, run_type="iteration", repetitions=1, iterations=1,
                real_time=1.0, cpu_time=1.0, time_unit="ms", **counters)


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_families_test_")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def results(self, runs):
        path = os.path.join(self.tmp, "results.json")
        with open(path, "w") as f:
            json.dump({"context": {"profile": "quick"}, "benchmarks": runs}, f)
        return path

    def report(self, paths, known=None):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli.write_report(paths, self.out, known)
        with open(os.path.join(self.out, "report.md")) as f:
            return code, f.read(), err.getvalue()

    @contextlib.contextmanager
    def dropped(self, modules):
        """The package with extra modules {name: source} in a temporary directory on its path,
        as if dropped into reports/isobench_report/families/ (the source tree is not touched)."""
        d = os.path.join(self.tmp, "dropped")
        os.makedirs(d)
        for name, src in modules.items():
            with open(os.path.join(d, name + ".py"), "w") as f:
                f.write(textwrap.dedent(src))
        families.__path__.append(d)
        try:
            yield
        finally:
            families.__path__.remove(d)
            for name in modules:
                sys.modules.pop(f"{families.__name__}.{name}", None)
            inputs.FAMILY_KEYS.clear()


class EveryModule(unittest.TestCase):
    def test_each_module_exports_the_interface(self):
        mods = [m.name for m in pkgutil.iter_modules(families.__path__)
                if not m.name.startswith("_")]
        self.assertEqual(sorted(mods), sorted(f.lower() for f in CONTRACT_FAMILIES))
        for name in mods:
            with self.subTest(module=name):
                mod = importlib.import_module(f"{families.__name__}.{name}")
                fam = mod.FAMILY
                self.assertIs(families.check(fam, name), fam)
                self.assertEqual(fam.name.lower(), name)
                self.assertTrue(fam.title.startswith(fam.name + " — "), fam.title)
                self.assertTrue(fam.counters)
                for fn in (fam.figures, fam.verdicts):
                    self.assertEqual(len(inspect.signature(fn).parameters), 1,
                                     f"{name}: figures and verdicts take one Section")

    def test_discovery_orders_the_contract_families(self):
        known = families.discover()
        self.assertEqual(list(known), CONTRACT_FAMILIES)
        self.assertEqual(len({f.order for f in known.values()}), len(known))

    def synthetic_sections(self):
        tmp = tempfile.mkdtemp(prefix="isobench_families_verdicts_")
        self.addCleanup(shutil.rmtree, tmp, True)
        synth.write_all(tmp)
        with contextlib.redirect_stderr(io.StringIO()):
            inp = inputs.load_inputs([tmp])
        for fam in families.discover().values():
            runs = {n: b for n, b in inp.runs.items() if n.split("/")[0] == fam.name}
            yield fam, runs, Section(name=fam.name, runs=runs, inp=inp, out=tmp)

    def test_observations_are_verdict_objects_over_the_familys_runs(self):
        for fam, runs, s in self.synthetic_sections():
            with self.subTest(family=fam.name):
                vs = fam.verdicts(s)
                self.assertTrue(vs, f"{fam.name}: no observation on the synthetic runs")
                for v in vs:
                    self.assertIsInstance(v, verdicts.Verdict)
                    self.assertTrue(v.text)
                    self.assertTrue(v.runs, f"{fam.name}: an observation names no run: {v.text}")
                    self.assertLessEqual(set(v.runs), set(runs))
                    self.assertIsNone(v.interval)  # observations judge nothing: the claims do
                self.assertEqual(s.notes, [])

    def test_every_family_with_claims_has_them_judged(self):
        """Every family but PERF states claims on the synthetic data; judged together they
        give one stats.Verdict per claim, of the family, with an outcome and the numbers."""
        judged_families = set()
        for fam, runs, s in self.synthetic_sections():
            with self.subTest(family=fam.name):
                if fam.claims is None:
                    self.assertEqual(fam.name, "PERF", "only PERF (speed) states no claims")
                    continue
                cs = fam.claims(s)
                self.assertTrue(cs, f"{fam.name}: no claim on the synthetic runs")
                for c in cs:
                    self.assertIsInstance(c, stats.Claim)
                    self.assertEqual(c.family, fam.name)
                    self.assertIn(c.kind, stats.KINDS)
                    self.assertTrue(c.values, f"{fam.name}: '{c.claim}' has no values")
                    self.assertTrue(c.source, f"{fam.name}: '{c.claim}' names no source")
                    if c.kind != "difference":
                        self.assertTrue(c.margin_reason, f"{fam.name}: '{c.claim}': a margin "
                                                         f"without its reason")
                vs = stats.judge(cs)
                self.assertEqual([v.claim for v in vs], cs)
                for v in vs:
                    self.assertIn(v.outcome, stats.OUTCOMES)
                    self.assertIsNotNone(v.effect)
                    self.assertIsNotNone(v.p_adjusted, v.reason)
                    self.assertGreaterEqual(v.n, 2)
                judged_families.add(fam.name)
                self.assertEqual(s.notes, [])
        self.assertEqual(judged_families, set(CONTRACT_FAMILIES) - {"PERF"})


class DropIn(Tmp):
    def runs(self):
        out = [entry(f"WIDG/toy/size:{size}/widgets:{w}/seed:{s}", widgets_made=10 * w + s)
               for size in ("big", "small") for w in (3, 5) for s in (1, 2)]
        return out + [entry("RQB/mlp/dataset:mnist/act:linear/init:orthogonal/depth:2/width:8/"
                            "seed:1", steps_to_target=10)]

    def test_a_new_module_is_discovered_and_rendered_with_no_other_change(self):
        with self.dropped({"widg": DROP_IN}):
            known = families.discover()
            self.assertIn("WIDG", known)
            self.assertEqual(list(known).index("WIDG"), list(known).index("RQE") + 1)
            code, md, err = self.report([self.results(self.runs())])
        self.assertEqual(code, 0, err)
        self.assertIn("## WIDG — widget throughput", md)
        self.assertLess(md.index("## RQB"), md.index("## WIDG"))
        self.assertIn("not in the inputs: RQA, RQC, RQD, RQE, SEED, SENT, TASK, PERF", md)
        self.assertIn("](widg_bars.png)", md)
        self.assertTrue(os.path.exists(os.path.join(self.out, "widg_bars.png")))
        self.assertIn("| configuration | seeds | widgets_made |", md)
        self.assertIn("| WIDG/toy/size:big/widgets:5 | 2 | 51.5 ± 0.7071 |", md)
        with open(os.path.join(self.out, "widg_table.csv")) as f:
            self.assertEqual(f.readline().strip(), "configuration,seeds,errored,widgets_made,"
                                                   "widgets_made_std")
        # The family's key order and label form: "w=5 size:big", not "size:big widgets:5".
        self.assertIn("**Observed:** WIDG (widgets_made, 4 configurations): best `w=5 size:big` "
                      "51.5 ± 0.7071", md)
        self.assertNotIn("**Verdict:**", md.split("## WIDG")[1])  # WIDG states no claims

    def test_without_the_module_the_family_is_generic(self):
        code, md, err = self.report([self.results(self.runs())])
        self.assertEqual(code, 0, err)
        self.assertIn("## WIDG\n", md)
        self.assertNotIn("widg_bars.png", md)
        self.assertIn("| configuration | seeds |\n", md)  # no generic counter reported

    def test_a_module_without_family_is_named(self):
        with self.dropped({"helpers": "X = 1\n"}):
            with self.assertRaises(FamilyModuleError) as cm:
                families.discover()
        self.assertIn("helpers.py", str(cm.exception))
        self.assertIn("must define FAMILY = Family(...)", str(cm.exception))

    def test_a_family_defined_twice_is_named(self):
        twice = DROP_IN.replace('name="WIDG"', 'name="RQA"')
        with self.dropped({"rqa_again": twice}):
            with self.assertRaises(FamilyModuleError) as cm:
                families.discover()
        self.assertIn("rqa_again.py", str(cm.exception))
        self.assertIn("family RQA is already defined", str(cm.exception))

    def test_a_malformed_family_is_named(self):
        bad = DROP_IN.replace('counters=["widgets_made"]', 'counters="widgets_made"')
        with self.dropped({"widg": bad}):
            with self.assertRaises(FamilyModuleError) as cm:
                families.discover()
        self.assertIn("FAMILY.counters must be a list", str(cm.exception))


class Hooks(Tmp):
    RQE = "RQE/mlp/dataset:mnist/init:orthogonal/depth:4/width:64/reg:{reg}/opt:sgd/seed:{s}"

    def rqe_runs(self):
        return [entry(self.RQE.format(reg=reg, s=s), best_val_acc=v + 0.01 * s,
                      test_acc=v - 0.01 * s)
                for reg, v in (("none", 0.8), ("brock_offdiag/norm:sum/lambda:0.01", 0.85))
                for s in (1, 2)]

    def test_method_runs_hook_chooses_the_compared_runs(self):
        path = self.results(self.rqe_runs())
        code, md, _ = self.report([path])  # RQE has no hook: the generic default applies
        self.assertIn("## brock_offdiag against the baselines — RQE", md)
        known = families.discover()
        self.assertIsNone(known["RQE"].method_runs)
        seen = []

        def only_seed_1(runs):
            seen.append(len(runs))
            return {n: b for n, b in runs.items() if n.endswith("/seed:1")}
        known["RQE"] = dataclasses.replace(known["RQE"], method_runs=only_seed_1)
        code, md, _ = self.report([path], known)
        self.assertEqual(seen, [4])
        row = [l for l in md.splitlines() if "| test_acc |" in l and "| none |" in l][0]
        self.assertIn("| 1 |", row)  # one pair (seed 1) instead of two
        known["RQE"] = dataclasses.replace(known["RQE"], method_runs=lambda runs: None)
        code, md, _ = self.report([path], known)
        self.assertNotIn("against the baselines", md)

    def test_perf_declares_no_method_comparison(self):
        self.assertIsNone(families.discover()["PERF"].method_runs(
            {"PERF/penalty/reg:brock_offdiag/n:128": entry("x", test_acc=1.0)}))

    def test_claims_hook_is_judged_printed_and_written(self):
        """A family's claims hook (here WIDG's, paired by seed): judged with Holm over the
        family's claims, one **Verdict** line each, its table, CSV and figure, verdicts.json."""
        src = DROP_IN.replace("from isobench_report.families import Family", """
from isobench_report import stats
from isobench_report.families import Family
from isobench_report.inputs import counters, parse_name


def claims(s):
    by = {}
    for n, b in s.runs.items():
        k = parse_name(n)[2]
        by.setdefault(k["widgets"], {})[k["seed"]] = counters(b)["widgets_made"]
    diffs = tuple(by["5"][sd] - by["3"][sd] for sd in by["5"])
    return [stats.Claim(family="WIDG", claim="five widgets make more than three",
                        kind="difference", metric="widgets_made, w=5 − w=3, paired by seed",
                        values=diffs, source="this test"),
            stats.Claim(family="WIDG", claim="five widgets make as many as three",
                        kind="equivalence", metric="widgets_made, w=5 − w=3, paired by seed",
                        values=diffs, margin=1.0, margin_reason="one widget",
                        source="this test")]
""").replace("key_labels={\"widgets\": \"w={v}\"})", "key_labels={\"widgets\": \"w={v}\"}, "
                                                   "claims=claims)")
        self.assertIn("claims=claims)", src)
        runs = [entry(f"WIDG/toy/widgets:{w}/seed:{s}", widgets_made=10 * w + s + (w == 5) * s)
                for w in (3, 5) for s in (1, 2, 3)]
        with self.dropped({"widg": src}):
            code, md, err = self.report([self.results(runs)])
        self.assertEqual(code, 0, err)
        lines = [l for l in md.splitlines() if l.startswith("**Verdict:**")]
        self.assertEqual(len(lines), 2, md)
        # differences 21, 22, 23: mean 22, sd 1, n 3 (t = 38.1, df 2)
        self.assertIn("**supported** — five widgets make more than three (difference: "
                      "effect > 0;", lines[0])
        self.assertIn("Effect 22, 95 % CI [19.5, 24.5]", lines[0])
        self.assertIn("paired t (df=2)", lines[0])
        self.assertIn("**contradicted** — five widgets make as many as three (equivalence: "
                      "|effect| < 1;", lines[1])
        self.assertIn("margin: one widget", lines[1])
        self.assertIn("| five widgets make more than three | difference |", md)
        self.assertTrue(os.path.exists(os.path.join(self.out, "widg_verdicts.csv")))
        self.assertTrue(os.path.exists(os.path.join(self.out, "widg_verdicts.png")))
        with open(os.path.join(self.out, "verdicts.json")) as f:
            got = json.load(f)
        self.assertEqual([(v["family"], v["outcome"]) for v in got],
                         [("WIDG", "supported"), ("WIDG", "contradicted")])
        self.assertEqual(got[1]["margin"], 1.0)
        self.assertNotIn("margin", got[0])


class CoRunCosts(Tmp):
    """Wall times of runs that ran beside others (context "jobs" > 1) are not compared: RQD's
    epoch-time ratios and RQD/RQE's cost bars need jobs 1 (or PERF, which runs alone)."""

    def synth_with_jobs(self, jobs):
        d = os.path.join(self.tmp, f"jobs{jobs}")
        synth.write_all(d, families=["RQD", "RQE"])
        path = os.path.join(d, "results.json")
        with open(path) as f:
            r = json.load(f)
        if jobs is not None:
            r["context"]["jobs"] = str(jobs)
        with open(path, "w") as f:
            json.dump(r, f)
        return path

    def test_jobs_2_drops_the_time_comparisons_and_says_why(self):
        code, md, _ = self.report([self.synth_with_jobs(2)])
        self.assertIn("epoch times are not compared (the runs ran 2 at a time: --jobs 2; see "
                      "PERF)", md)
        self.assertNotIn("epoch time relative to none", md)
        for fam in ("RQD", "RQE"):
            self.assertIn(f"{fam}: the epoch and training times not compared: these runs ran 2 at "
                          f"a time (--jobs 2)", md)

    def test_jobs_1_or_absent_compares_them(self):
        for jobs in (1, None):
            code, md, _ = self.report([self.synth_with_jobs(jobs)])
            self.assertIn("epoch time relative to none", md)
            self.assertNotIn("not compared", md)


if __name__ == "__main__":
    unittest.main()
