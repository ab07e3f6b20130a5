"""Tests of the report's judged claims end to end (issue 20): synthetic results with a known
truth, written as results.json, through the real report (cli.write_report), read back from
verdicts.json and report.md.

- SEED, 5 seeds: gain-adjusted − plain paired differences with mean = 5 × their SD are
  "supported", the opposite sign "contradicted"; exactly symmetric differences (no effect) are
  "inconclusive" with the minimum detectable effect and n = 5;
- verdicts.json is a JSON array whose objects carry every field docs/REPORT.md names, numbers
  finite or null;
- RQB (5 depths, 5 seeds): flat orthogonal steps → the equivalence claim supported, steps
  growing like depth for Gaussian → supported;
- censored steps_to_target (= step_budget + 1) enter at budget + 1 and the note counts them;
- report.md has one **Verdict:** line and one claims-table row per verdicts.json object;
- the reference overlay (--reference): per configuration the key counter's mean ± 95 % t
  half-width and n for both sides, and both sides' verdicts (judged separately; a reference's
  verdicts.json shown as recorded).

    MPLBACKEND=Agg /usr/bin/python3 -m unittest discover -s tests/report -p test_verdicts.py -v
"""
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np
from scipy import stats as sst

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))
sys.path.insert(0, HERE)

import synth  # noqa: E402
from isobench_report import cli  # noqa: E402

SEEDS = [1, 2, 3, 4, 5]
SEED_NAME = ("SEED/rnn/task:rowmnist/dataset:mnist/init:{init}{gain}/hidden:128/batch:128{reg}/"
             "opt:adam/lr:0.0001/seed:{s}")
GAIN_CLAIM = ("so_gain_adjusted beats so (task:rowmnist gain:1.25 norm:mean lambda:0.5 "
              "lr:0.0001)")
INIT_CLAIM = "orthogonal init (g = 1, no penalty) beats Glorot (task:rowmnist lr:0.0001)"
RQB_NAME = "RQB/mlp/dataset:mnist/act:linear/init:{init}/depth:{d}/width:64/seed:{s}"
RQB_DEPTHS = [2, 4, 8, 16, 32]
TASK_MNIST_NAME = ("TASK/rnn/task:permmnist/dataset:mnist/act:tanh/init:orthogonal/hidden:128/"
                   "batch:128/constraint:none/opt:adam/lr:0.0001/epochs:3/seed:{s}")
FIELDS = ["family", "claim", "kind", "metric", "effect", "ci_low", "ci_high", "test",
          "p_adjusted", "n", "outcome", "mde"]
NUMBERS = ["effect", "ci_low", "ci_high", "p_adjusted", "mde"]


def five_sd_diffs(sign):
    """Five paired differences with mean = sign × 5 × SD (SD 0.002 of accuracy)."""
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    z /= z.std(ddof=1)
    return sign * (0.010 + 0.002 * z)


def seed_results(out, gain_diffs, init_diffs):
    """SEED runs at 5 seeds: so and so_gain_adjusted (g = 1.25, λ = 0.5, mean norm), and
    orthogonal (g = 1, no penalty) and Glorot; the second arm of each pair is the first plus the
    given per-seed difference. Accuracies vary by seed (0.85 + 0.01 s) as real seeds do."""
    w = synth.Writer(out)
    reg = "/reg:{}/norm:mean/lambda:0.5"
    for i, s in enumerate(SEEDS):
        plain = 0.85 + 0.01 * s
        for init, gain, r, acc in (
                ("orthogonal", "/gain:1.25", reg.format("so"), plain),
                ("orthogonal", "/gain:1.25", reg.format("so_gain_adjusted"),
                 plain + gain_diffs[i]),
                ("glorot_uniform", "", "/reg:none", plain),
                ("orthogonal", "/gain:1", "/reg:none", plain + init_diffs[i])):
            w.run(SEED_NAME.format(init=init, gain=gain, reg=r, s=s),
                  {"best_val_acc": acc, "final_acc": acc, "diverged": 0})
    return w.finish()


def rqb_results(out, budget=100000, reached_max=None):
    """RQB best-of-grid runs at 5 depths and 5 seeds: orthogonal steps flat in depth (log noise
    SD 0.03), Gaussian steps ∝ depth (exponent 1, same noise); a run needing more than
    `reached_max` steps never reaches the target (steps_to_target = step_budget + 1)."""
    rng = np.random.default_rng(7)
    w = synth.Writer(out)
    truth = {}
    for init, b in (("orthogonal", 0.0), ("gaussian", 1.0)):
        for s in SEEDS:
            for d in RQB_DEPTHS:
                steps = int(round(100 * d ** b * math.exp(rng.normal(0, 0.03))))
                if reached_max is not None and steps > reached_max:
                    steps = budget + 1
                truth[(init, s, d)] = steps
                w.run(RQB_NAME.format(init=init, d=d, s=s),
                      {"steps_to_target": steps, "step_budget": budget, "converged": 1,
                       "diverged": 0, "lr_best": 0.5})
    return w.finish(), truth


class Base(unittest.TestCase):
    """Writing and reading a report; checking verdicts.json and report.md."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_verdicts_test_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self, path, sub="out", reference=None, want_code=0):
        """write_report on one results.json → (verdicts.json objects, report.md text)."""
        out = os.path.join(self.tmp, sub)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.write_report([path], out, reference_path=reference)
        self.assertEqual(code, want_code, err.getvalue())

        def no_nan(c):
            raise AssertionError(f"verdicts.json holds {c}: numbers must be finite or null")
        with open(os.path.join(out, "verdicts.json")) as f:
            got = json.load(f, parse_constant=no_nan)
        with open(os.path.join(out, "report.md")) as f:
            return got, f.read()

    def by_claim(self, got):
        return {(v["family"], v["claim"]): v for v in got}

    def check_schema(self, got):
        self.assertIsInstance(got, list)
        self.assertTrue(got)
        for v in got:
            self.assertIsInstance(v, dict)
            for k in FIELDS:
                self.assertIn(k, v, f"{v.get('claim')}: no {k}")
            if v["kind"] in ("equivalence", "non-inferiority"):
                self.assertIn("margin", v, f"{v['claim']}: a {v['kind']} claim without margin")
                self.assertGreater(v["margin"], 0)
            self.assertIn(v["kind"], ("difference", "equivalence", "non-inferiority"))
            self.assertIn(v["outcome"], ("supported", "contradicted", "inconclusive"))
            self.assertIsInstance(v["n"], int)
            for k in NUMBERS + (["margin"] if "margin" in v else []):
                x = v[k]
                self.assertTrue(x is None or (isinstance(x, (int, float)) and math.isfinite(x)),
                                f"{v['claim']}: {k} = {x!r}")
            if v["ci_low"] is not None:
                self.assertLessEqual(v["ci_low"], v["effect"])
                self.assertLessEqual(v["effect"], v["ci_high"])
            if v["p_adjusted"] is not None:
                self.assertTrue(0 <= v["p_adjusted"] <= 1)

    def check_markdown(self, got, md):
        """One **Verdict:** line and one claims-table row per object, in order."""
        lines = [l for l in md.splitlines() if l.startswith("**Verdict:** ")]
        self.assertEqual(len(lines), len(got))
        for line, v in zip(lines, got):
            self.assertTrue(line.startswith(f"**Verdict:** **{v['outcome']}** — {v['claim']} "
                                            f"({v['kind']}"), line)
            self.assertIn(f"n = {v['n']}", line)
            self.assertIn(f"| {v['claim']} | {v['kind']}", md)
            self.assertTrue(any(r.startswith(f"| {v['claim']} |") and f"| {v['outcome']} |" in r
                                for r in md.splitlines()), v["claim"])



class Report(Base):
    # ------------------------------------------------------------------ SEED, 5 seeds

    def test_seed_five_sd_supported_opposite_contradicted_none_inconclusive(self):
        d = five_sd_diffs(+1)
        self.assertAlmostEqual(d.mean() / d.std(ddof=1), 5.0, places=9)
        none = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 1024  # exactly symmetric: mean 0
        for sign, want in ((+1, "supported"), (-1, "contradicted")):
            with self.subTest(sign=sign):
                path = seed_results(os.path.join(self.tmp, f"in{sign}"), five_sd_diffs(sign),
                                    none)
                got, md = self.report(path, f"out{sign}")
                self.check_schema(got)
                self.check_markdown(got, md)
                v = self.by_claim(got)
                self.assertEqual(set(v), {("SEED", GAIN_CLAIM), ("SEED", INIT_CLAIM)})
                g = v[("SEED", GAIN_CLAIM)]
                self.assertEqual(g["outcome"], want)
                self.assertEqual(g["n"], 5)
                self.assertEqual(g["kind"], "difference")
                self.assertEqual(g["test"], "paired t (df=4)")
                self.assertAlmostEqual(g["effect"], sign * 0.010, places=9)
                self.assertLess(g["p_adjusted"], 0.05)
                # the 95 % interval excludes 0 on the effect's side
                self.assertGreater(g["ci_low"] if sign > 0 else -g["ci_high"], 0)
                # t = 5·√5 = 11.18 at df 4: two-sided p = 3.7e-4; Holm (2 claims, smallest p
                # first) doubles it.
                self.assertAlmostEqual(g["p_adjusted"], 2 * 3.7e-4, delta=0.3e-4)
                i = v[("SEED", INIT_CLAIM)]
                self.assertEqual(i["outcome"], "inconclusive")
                self.assertEqual(i["n"], 5)
                self.assertEqual(i["effect"], 0.0)
                self.assertEqual(i["p_adjusted"], 1.0)
                self.assertIsNotNone(i["mde"])
                self.assertGreater(i["mde"], 0)
                self.assertLess(i["ci_low"], 0)
                self.assertGreater(i["ci_high"], 0)
                line = [l for l in md.splitlines() if INIT_CLAIM in l
                        and l.startswith("**Verdict:**")][0]
                self.assertIn("Smallest effect detectable with power 0.8 at α/m: ", line)

    # ------------------------------------------------------------------ the whole report

    def test_every_familys_verdicts_in_json_and_markdown(self):
        path = synth.write_all(os.path.join(self.tmp, "all"))
        got, md = self.report(path)
        self.check_schema(got)
        self.check_markdown(got, md)
        self.assertEqual({v["family"] for v in got},
                         {"RQA", "RQB", "RQC", "RQD", "RQE", "SEED", "SENT", "TASK"})
        kinds = {v["kind"] for v in got}
        self.assertEqual(kinds, {"difference", "equivalence", "non-inferiority"})
        for v in got:
            if v["kind"] == "difference":
                self.assertNotIn("margin", v)
        # every family with claims has its table, CSV and figure
        for fam in {v["family"] for v in got}:
            self.assertIn(f"Claims of {fam}, judged together", md)
            self.assertTrue(os.path.exists(os.path.join(self.tmp, "out",
                                                        f"{fam.lower()}_verdicts.csv")))

    # ------------------------------------------------------------------ RQB

    def test_rqb_flat_orthogonal_and_growing_gaussian_are_supported(self):
        path, truth = rqb_results(os.path.join(self.tmp, "rqb"))
        got, md = self.report(path)
        self.check_schema(got)
        self.check_markdown(got, md)
        v = self.by_claim(got)
        flat = v[("RQB", "orthogonal init: steps to target flat in depth")]
        grow = v[("RQB", "scaled Gaussian init: steps to target grow with depth")]
        more = v[("RQB", "steps grow faster with depth for Gaussian than for orthogonal")]
        self.assertEqual(flat["kind"], "equivalence")
        self.assertEqual(flat["outcome"], "supported")
        self.assertEqual(flat["margin"], 0.2)
        self.assertLess(abs(flat["effect"]), 0.05)
        self.assertEqual(grow["outcome"], "supported")
        self.assertAlmostEqual(grow["effect"], 1.0, delta=0.05)
        self.assertEqual(more["outcome"], "supported")
        for x in (flat, grow, more):
            self.assertEqual(x["n"], 5)
        # The effect is the mean of the per-seed least-squares slopes of log steps on log depth.
        x = np.log(RQB_DEPTHS)
        slopes = [np.polyfit(x, np.log([truth[("gaussian", s, d)] for d in RQB_DEPTHS]), 1)[0]
                  for s in SEEDS]
        self.assertAlmostEqual(grow["effect"], float(np.mean(slopes)), places=9)
        self.assertIn("all 50 runs reached the target", md)

    def test_rqb_censored_runs_count_at_budget_plus_one_and_are_named(self):
        budget = 2000
        # Gaussian at depth 32 needs ~3200 steps: its 5 runs never reach the target.
        path, truth = rqb_results(os.path.join(self.tmp, "cens"), budget=budget,
                                  reached_max=budget)
        never = [k for k, st in truth.items() if st == budget + 1]
        self.assertEqual(len(never), 5)
        self.assertTrue(all(k[0] == "gaussian" and k[2] == 32 for k in never))
        got, md = self.report(path)
        self.check_schema(got)
        v = self.by_claim(got)
        grow = v[("RQB", "scaled Gaussian init: steps to target grow with depth")]
        x = np.log(RQB_DEPTHS)
        slopes = [np.polyfit(x, np.log([min(truth[("gaussian", s, d)], budget + 1)
                                        for d in RQB_DEPTHS]), 1)[0] for s in SEEDS]
        self.assertAlmostEqual(grow["effect"], float(np.mean(slopes)), places=9)
        self.assertLess(grow["effect"], 1.0)  # censoring shortens the slope: honest, stated
        self.assertEqual(grow["outcome"], "supported")
        note = "5 of 50 runs never reached the target (counted at budget + 1"
        self.assertIn(note, grow["note"])
        line = [l for l in md.splitlines() if l.startswith("**Verdict:**")
                and "scaled Gaussian init" in l][0]
        self.assertIn(note, line)

    def test_a_run_past_budget_plus_one_is_restricted_to_it(self):
        """steps_to_target above step_budget + 1 (a writer's bug, or another convention) enters
        at budget + 1 like a run that never reached the target, and is counted so."""
        budget = 2000
        path, truth = rqb_results(os.path.join(self.tmp, "a"), budget=budget,
                                  reached_max=budget)
        got_a, _ = self.report(path, "out_a")
        with open(path) as f:
            r = json.load(f)
        for b in r["benchmarks"]:
            if b["steps_to_target"] == budget + 1:
                b["steps_to_target"] = 10 * budget
        with open(path, "w") as f:
            json.dump(r, f)
        got_b, _ = self.report(path, "out_b")
        for a, b in zip(got_a, got_b):
            self.assertEqual(a["effect"], b["effect"], a["claim"])
            self.assertEqual(a["note"], b["note"], a["claim"])


    def test_rqb_two_widths_are_judged_apart_not_pooled(self):
        """The paper grid has widths 1000 and 256: Saxe's claims per width, each over its own
        runs (pooled, one width's steps overwrote the other's at the same depth)."""
        w = synth.Writer(os.path.join(self.tmp, "widths"))
        name = RQB_NAME.replace("width:64", "width:{w}")
        rng = np.random.default_rng(3)
        for width, b in ((1000, 0.3), (256, 0.9)):  # Gaussian steps ∝ depth^b per width
            for s in SEEDS:
                for d in RQB_DEPTHS:
                    for init, e in (("orthogonal", 0.0), ("gaussian", b)):
                        steps = round(1000 * d ** e * math.exp(rng.normal(0, 0.03)))
                        w.run(name.format(init=init, d=d, s=s, w=width),
                              {"steps_to_target": steps, "step_budget": 100000, "converged": 1,
                               "diverged": 0, "lr_best": 0.5})
        # Fixed-rate runs at another width do not make a third group.
        w.run("RQB/mlp/dataset:mnist/act:linear/init:orthogonal/depth:2/width:64/lr:0.125/seed:1",
              {"steps_to_target": 50, "step_budget": 3000, "converged": 1, "diverged": 0})
        got, md = self.report(w.finish())
        self.check_schema(got)
        self.check_markdown(got, md)
        v = self.by_claim(got)
        self.assertEqual(len([k for k in v if k[0] == "RQB"]), 6)
        for width, b in ((1000, 0.3), (256, 0.9)):
            grow = v[("RQB", f"scaled Gaussian init: steps to target grow with depth "
                             f"(width {width})")]
            self.assertAlmostEqual(grow["effect"], b, delta=0.05)
            self.assertEqual(grow["n"], 5)
            flat = v[("RQB", f"orthogonal init: steps to target flat in depth (width {width})")]
            self.assertEqual(flat["outcome"], "supported")
        self.assertNotIn(("RQB", "orthogonal init: steps to target flat in depth"), v)

    # ------------------------------------------------------------------ TASK on MNIST

    def test_an_mnist_task_learns_when_its_loss_is_below_a_uniform_guess(self):
        """Pixel and permuted MNIST report no baseline_loss: the claim measures the final loss
        against 1 % under log 10; a run at the uniform guess's loss, or at the class frequencies'
        (2.301), does not learn."""
        for losses, outcome in (((1.10, 0.95, 0.80), "supported"),
                                ((2.301, 2.3012, 2.3008), "contradicted")):
            w = synth.Writer(os.path.join(self.tmp, f"task_{outcome}"))
            for s, fl in zip((1, 2, 3), losses):
                w.run(TASK_MNIST_NAME.format(s=s), {"final_loss": fl, "test_acc": 0.7,
                                                    "diverged": 0})
            got, md = self.report(w.finish(), sub=outcome)
            self.check_schema(got)
            [v] = [v for v in got if v["family"] == "TASK"]
            self.assertIn("learns (final loss below 0.99 log 10, 1 % under a uniform guess)",
                          v["claim"])
            self.assertEqual(v["metric"], "log(final_loss / (0.99 log 10)), per seed")
            self.assertAlmostEqual(v["effect"], np.mean([math.log(x / (0.99 * math.log(10)))
                                                         for x in losses]))
            self.assertEqual(v["outcome"], outcome)


class Reference(Base):
    """A new run (SEED, +5 SD) beside a reference (SEED, −5 SD)."""

    def setUp(self):
        super().setUp()
        none = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 1024
        self.now = seed_results(os.path.join(self.tmp, "now"), five_sd_diffs(+1), none)
        self.ref_dir = os.path.join(self.tmp, "ref")
        seed_results(self.ref_dir, five_sd_diffs(-1), none)

    def section(self, md):
        self.assertIn("### SEED against the reference", md)
        return md.split("### SEED against the reference")[1].split("\n## ")[0]

    def row(self, sec, first_cell):
        rows = [l for l in sec.splitlines() if l.startswith(f"| {first_cell} |")]
        self.assertEqual(len(rows), 1, sec)
        return [c.strip() for c in rows[0].strip("|").split("|")]

    def test_counters_and_verdicts_side_by_side_reference_computed(self):
        got, md = self.report(self.now, reference=self.ref_dir)
        # verdicts.json holds this run's verdicts only
        self.assertEqual([v["outcome"] for v in got], ["supported", "inconclusive"])
        self.assertIn(f"- reference: `{os.path.join(self.ref_dir, 'results.json')}` (20 runs); "
                      f"set side by side for SEED", md)
        sec = self.section(md)
        self.assertIn("best_val_acc per configuration: mean ± half-width of the 95 % t "
                      "interval", sec)
        # so_gain_adjusted: plain (0.85 + 0.01 s) ± the paired difference; by hand
        cfg = SEED_NAME.format(init="orthogonal", gain="/gain:1.25",
                               reg="/reg:so_gain_adjusted/norm:mean/lambda:0.5", s=1)
        cfg = cfg[:cfg.rindex("/seed:")]
        for col, sign in ((1, +1), (2, -1)):
            vals = np.array([0.85 + 0.01 * s for s in SEEDS]) + five_sd_diffs(sign)
            half = sst.t.ppf(0.975, 4) * vals.std(ddof=1) / math.sqrt(5)
            cells = self.row(sec, cfg)
            self.assertEqual(cells[col], f"{vals.mean():.4g} ± {half:.4g} (n = 5)")
        self.assertIn("the reference's computed from the reference's runs by this report's "
                      "code", sec)
        cells = self.row(sec, GAIN_CLAIM)
        self.assertEqual(cells[1], "supported")
        self.assertEqual(cells[2], "0.01")
        self.assertEqual(cells[4], "contradicted")
        self.assertEqual(cells[5], "-0.01")
        self.assertTrue(cells[3].startswith("[") and cells[6].startswith("[-"))
        self.assertEqual(self.row(sec, INIT_CLAIM)[1::3], ["inconclusive", "inconclusive"])

    def test_a_recorded_verdicts_json_is_shown_as_recorded(self):
        rec = {"family": "SEED", "claim": GAIN_CLAIM, "kind": "difference", "metric": "x",
               "effect": 0.5, "ci_low": 0.25, "ci_high": 0.75, "test": "paired t (df=4)",
               "p_adjusted": 0.01, "n": 5, "outcome": "supported", "mde": None}
        with open(os.path.join(self.ref_dir, "verdicts.json"), "w") as f:
            json.dump([rec], f)
        got, md = self.report(os.path.join(self.ref_dir, "..", "now", "results.json"),
                              reference=os.path.join(self.ref_dir, "results.json"))
        sec = self.section(md)
        self.assertIn(f"as recorded in `{os.path.join(self.ref_dir, 'verdicts.json')}`", sec)
        self.assertEqual(self.row(sec, GAIN_CLAIM)[4:], ["supported", "0.5", "[0.25, 0.75]"])
        # recorded without the second claim: this run's verdict beside "(not judged)"
        self.assertEqual(self.row(sec, INIT_CLAIM)[4:], ["(not judged)", "—", "—"])

    def test_an_unreadable_reference_is_a_problem(self):
        got, md = self.report(self.now, reference=os.path.join(self.tmp, "nope.json"),
                              want_code=1)
        self.assertIn("reference: `" + os.path.join(self.tmp, "nope.json") + "` does not exist",
                      md)
        self.assertNotIn("against the reference", md)
        self.assertEqual(len(got), 2)  # this run is reported all the same


if __name__ == "__main__":
    unittest.main()
