"""Known-truth tests of the verdicts' statistics core (reports/isobench_report/stats.py, issue 20):
outcomes of constructed effects, the family-wise false-call rate of null families, the coverage of
a trend's interval, equivalence and non-inferiority, Holm, intervals, power, censored steps.
Deterministic: every random draw comes from numpy's default_rng with a fixed seed.

    /usr/bin/python3 -m unittest discover -s tests/report -p test_stats.py -v
"""
import gc
import json
import math
import os
import sys
import unittest

import numpy as np
from scipy import stats as sst
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW, ttost_ind

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))

from isobench_report import stats  # noqa: E402
from isobench_report.stats import Claim, judge  # noqa: E402

# statsmodels 0.13's multipletests(method="holm") calls gc.collect(); over the thousands of
# judge() calls below a full collection of everything scipy and statsmodels hold costs minutes.
# Freezing the objects alive at start keeps them out of those collections (no other effect).
def setUpModule():
    gc.freeze()


def tearDownModule():
    gc.unfreeze()


def load_tests(loader, tests, pattern):
    """ctest runs this module alone (report.stats); report.python_tests discovers every test*.py
    and sets ISOBENCH_REPORT_STATS_SEPARATE=1 so this one is not run twice."""
    if os.environ.get("ISOBENCH_REPORT_STATS_SEPARATE") == "1":
        return unittest.TestSuite()
    return tests


REQUIRED_KEYS = {"family", "claim", "kind", "metric", "effect", "ci_low", "ci_high", "sim_low",
                 "sim_high", "test", "p", "p_adjusted", "n", "outcome", "mde", "seeds_needed",
                 "margin_reason", "direction", "source", "note"}


def standardized(rng, n):
    """n normal draws rescaled to mean exactly 0 and SD (ddof=1) exactly 1."""
    z = rng.normal(size=n)
    z = z - z.mean()
    return z / z.std(ddof=1)


def diff(name, values, direction=+1, **kw):
    return Claim(family="T", claim=name, kind="difference", metric="synthetic",
                 values=tuple(float(v) for v in values), direction=direction, **kw)


class KnownEffects(unittest.TestCase):
    """(a) a 5-SD paired effect at 5 seeds, its opposite, and no effect."""

    def test_five_sd_effect_supported_opposite_contradicted_null_inconclusive(self):
        rng = np.random.default_rng(2001)
        z = standardized(rng, 5)
        effect = 5.0 + z            # mean 5, SD of the paired differences 1: 5 SDs
        nulls = [rng.normal(0.0, 1.0, 5) for _ in range(2)]
        fam = [diff("effect", effect), diff("null 1", nulls[0]), diff("null 2", nulls[1]),
               diff("no effect", [-2.0, -1.0, 0.0, 1.0, 2.0])]
        v = judge(fam)
        self.assertAlmostEqual(v[0].effect, 5.0)
        self.assertAlmostEqual(v[0].sd, 1.0)
        self.assertEqual(v[0].outcome, "supported", v[0].reason)
        self.assertEqual(v[3].outcome, "inconclusive", v[3].reason)
        self.assertEqual(v[3].effect, 0.0)
        self.assertEqual(v[3].p, 1.0)
        # The opposite claim on the same numbers, and the same claim on the negated numbers.
        v = judge([diff("opposite", effect, direction=-1)] + fam[1:])
        self.assertEqual(v[0].outcome, "contradicted", v[0].reason)
        v = judge([diff("negated", -effect)] + fam[1:])
        self.assertEqual(v[0].outcome, "contradicted", v[0].reason)
        self.assertEqual([x.claim.claim for x in v], ["negated", "null 1", "null 2", "no effect"])

    def test_two_sample_welch(self):
        rng = np.random.default_rng(2002)
        a, b = rng.normal(10.0, 1.0, 5), rng.normal(0.0, 2.0, 4)
        v = judge([Claim("T", "a beats b", "difference", "x", values=tuple(a), b=tuple(b))])[0]
        self.assertEqual(v.outcome, "supported", v.reason)
        self.assertEqual(v.n, 9)
        self.assertAlmostEqual(v.effect, a.mean() - b.mean())
        self.assertAlmostEqual(v.p, sst.ttest_ind(a, b, equal_var=False).pvalue)
        se = math.sqrt(a.var(ddof=1) / 5 + b.var(ddof=1) / 4)
        self.assertAlmostEqual(v.sd, se)          # Welch: the SE, as documented
        self.assertTrue(v.test.startswith("Welch t (df="), v.test)
        df = float(v.test.split("df=")[1].rstrip(")"))
        self.assertTrue(3 <= df <= 7, v.test)


class NullFamilies(unittest.TestCase):
    """(b) the family-wise rate of false calls over 2,000 null families."""

    def test_familywise_false_call_rate(self):
        rng = np.random.default_rng(2000)
        families, m, n = 2000, 4, 5
        data = rng.normal(0.0, 1.0, size=(families, m, n))
        bad = 0
        for f in range(families):
            v = judge([diff(f"c{i}", data[f, i]) for i in range(m)])
            bad += any(x.outcome != "inconclusive" for x in v)
        rate = bad / families
        se = math.sqrt(0.05 * 0.95 / families)
        print(f"\n[stats] null families with any false call: {bad}/{families} = {rate:.4f} "
              f"(bound {0.05 + 3 * se:.4f}; Holm's exact rate here 1-(1-0.05/4)^4 = 0.0491)",
              file=sys.stderr)
        self.assertLessEqual(rate, 0.05 + 3 * se)
        self.assertGreater(rate, 0.01, "a test that never rejects would pass the upper bound")


class TrendCoverage(unittest.TestCase):
    """(c) slopes() then judge: the 95 % interval covers the true slope in 92–98 % of runs."""

    def test_slope_interval_coverage(self):
        rng = np.random.default_rng(2003)
        x = np.log([2.0, 4.0, 8.0, 16.0])          # four depths, log scale
        true_slope, reps, covered = 0.7, 500, 0
        for _ in range(reps):
            ys = {}
            for seed in range(1, 6):
                intercept = rng.normal(3.0, 1.0)
                slope = true_slope + rng.normal(0.0, 0.1)      # seeds vary around the mean
                ys[seed] = intercept + slope * x + rng.normal(0.0, 0.3, x.size)
            s = stats.slopes(x, ys)
            self.assertEqual(len(s), 5)
            v = judge([diff("steps grow with depth", s)])[0]
            self.assertEqual((v.sim_low, v.sim_high), (v.ci_low, v.ci_high))  # m = 1
            covered += v.ci_low <= true_slope <= v.ci_high
        rate = covered / reps
        print(f"\n[stats] trend interval coverage: {covered}/{reps} = {rate:.3f}",
              file=sys.stderr)
        self.assertGreaterEqual(rate, 0.92)
        self.assertLessEqual(rate, 0.98)

    def test_slopes_levels_and_skipped_seeds(self):
        with self.assertRaisesRegex(ValueError, "at least three levels"):
            stats.slopes([1.0, 2.0, 2.0, 1.0], {1: [1, 2, 3, 4]})
        nan = float("nan")
        s = stats.slopes([1.0, 2.0, 3.0, 4.0], {"a": [1, 2, 3, 4], "b": [nan, 5, nan, 6],
                                                "c": [2, nan, 6, 8]})
        self.assertEqual(len(s), 2)                  # "b" has 2 finite points: skipped
        self.assertAlmostEqual(s[0], 1.0)
        self.assertAlmostEqual(s[1], sst.linregress([1, 3, 4], [2, 6, 8]).slope)
        with self.assertRaisesRegex(ValueError, "seed 'a' has 2 values"):
            stats.slopes([1, 2, 3], {"a": [1, 2]})


class EquivalenceAndNonInferiority(unittest.TestCase):
    """(d) inside the margin → supported; clearly outside → contradicted."""

    def test_equivalence(self):
        rng = np.random.default_rng(2004)
        m = 0.01
        inside = rng.normal(0.0, 0.002, 5)
        outside = rng.normal(0.05, 0.002, 5)
        below = rng.normal(-0.05, 0.002, 5)
        fam = [Claim("T", c, "equivalence", "x", values=tuple(v), margin=m)
               for c, v in (("inside", inside), ("outside", outside), ("below", below))]
        v = judge(fam)
        self.assertEqual([x.outcome for x in v], ["supported", "contradicted", "contradicted"],
                         [x.reason for x in v])
        self.assertAlmostEqual(v[0].p, DescrStatsW(inside).ttost_mean(-m, m)[0])
        self.assertIn("TOST paired t, margin ±0.01 (df=4)", v[0].test)
        # Wide noise: neither shown inside nor outside.
        wide = judge([Claim("T", "wide", "equivalence", "x", values=(-0.02, 0.03, 0.0, -0.01,
                                                                      0.015), margin=m)])[0]
        self.assertEqual(wide.outcome, "inconclusive", wide.reason)

    def test_equivalence_two_samples(self):
        rng = np.random.default_rng(2005)
        a, b = rng.normal(1.0, 0.002, 5), rng.normal(1.0, 0.003, 6)
        c = Claim("T", "same", "equivalence", "x", values=tuple(a), b=tuple(b), margin=0.01)
        v = judge([c])[0]
        self.assertEqual(v.outcome, "supported", v.reason)
        self.assertAlmostEqual(v.p, ttost_ind(a, b, -0.01, 0.01, usevar="unequal")[0])
        far = judge([Claim("T", "far", "equivalence", "x", values=tuple(a + 0.1), b=tuple(b),
                           margin=0.01)])[0]
        self.assertEqual(far.outcome, "contradicted", far.reason)

    def test_non_inferiority_both_directions(self):
        rng = np.random.default_rng(2006)
        m = 0.01
        same = rng.normal(0.0, 0.002, 5)
        fam = [Claim("T", "acc not worse", "non-inferiority", "x", values=tuple(same), margin=m),
               Claim("T", "acc much worse", "non-inferiority", "x",
                     values=tuple(same - 0.05), margin=m),
               Claim("T", "steps not more", "non-inferiority", "x", values=tuple(same),
                     margin=m, direction=-1),
               Claim("T", "steps many more", "non-inferiority", "x",
                     values=tuple(same + 0.05), margin=m, direction=-1),
               Claim("T", "steps far fewer", "non-inferiority", "x",
                     values=tuple(same - 0.05), margin=m, direction=-1)]
        v = judge(fam)
        self.assertEqual([x.outcome for x in v], ["supported", "contradicted", "supported",
                                                  "contradicted", "supported"],
                         [x.reason for x in v])
        self.assertAlmostEqual(v[0].p, sst.ttest_1samp(same, -m, alternative="greater").pvalue)
        self.assertAlmostEqual(v[2].p, sst.ttest_1samp(same, m, alternative="less").pvalue)
        self.assertIn("one-sided t vs −margin 0.01 (df=4)", v[0].test)


class HolmIntervalsPower(unittest.TestCase):
    """(e) Holm equals statsmodels'; Bonferroni interval wider; mde and seeds_needed behave."""

    def test_holm_matches_statsmodels_and_counts_untestable(self):
        vals = [(0.1, 0.3, 0.2, 0.25, 0.15), (0.5, -0.2, 0.1, 0.3, 0.0),
                (1.0, 1.1, 0.9, 1.05, 1.2), (0.2, -0.3, 0.1, 0.0, -0.1), (0.05, 0.2, 0.1)]
        fam = [diff(f"c{i}", v) for i, v in enumerate(vals)]
        v = judge(fam)
        raw = [x.p for x in v]
        for x, v_ in zip(raw, vals):
            self.assertAlmostEqual(x, sst.ttest_1samp(v_, 0.0).pvalue)
        want = multipletests(raw, alpha=0.05, method="holm")[1]
        np.testing.assert_allclose([x.p_adjusted for x in v], want)
        # An untestable claim (n = 1) counts in m with p = 1 and has no p of its own.
        v2 = judge(fam + [diff("one seed", [3.0])])
        self.assertIsNone(v2[-1].p)
        self.assertIsNone(v2[-1].p_adjusted)
        self.assertEqual(v2[-1].outcome, "inconclusive")
        self.assertIn("n = 1 < 2: no test", v2[-1].reason)
        want2 = multipletests(raw + [1.0], alpha=0.05, method="holm")[1][:-1]
        np.testing.assert_allclose([x.p_adjusted for x in v2[:-1]], want2)
        self.assertTrue(all(a.p_adjusted >= b.p_adjusted for a, b in zip(v2, v)))

    def test_bonferroni_interval_wider_and_t_interval_exact(self):
        rng = np.random.default_rng(2007)
        fam = [diff(f"c{i}", rng.normal(0.5, 1.0, 6)) for i in range(3)]
        for x in judge(fam):
            self.assertLess(x.sim_low, x.ci_low)
            self.assertGreater(x.sim_high, x.ci_high)
            a = np.asarray(x.claim.values)
            lo, hi = sst.ttest_1samp(a, 0.0).confidence_interval(0.95)
            self.assertAlmostEqual(x.ci_low, lo)
            self.assertAlmostEqual(x.ci_high, hi)
            lo, hi = sst.ttest_1samp(a, 0.0).confidence_interval(1 - 0.05 / 3)
            self.assertAlmostEqual(x.sim_low, lo)
            self.assertAlmostEqual(x.sim_high, hi)

    def test_mde_decreases_with_n_and_seeds_needed(self):
        rng = np.random.default_rng(2008)
        mdes = []
        for n in range(2, 13):
            z = standardized(rng, n)
            mdes.append(judge([diff("c", z), diff("d", z)])[0].mde)
        self.assertTrue(all(a > b for a, b in zip(mdes, mdes[1:])), mdes)
        z = standardized(rng, 5)
        v = judge([diff("c", z), diff("d", z)])[0]
        small = judge([diff("c", z, literature_effect=0.5 * v.mde), diff("d", z)])[0]
        self.assertGreater(small.seeds_needed, 5)
        big = judge([diff("c", z, literature_effect=2.0 * v.mde), diff("d", z)])[0]
        self.assertLessEqual(big.seeds_needed, 5)
        self.assertGreaterEqual(big.seeds_needed, 2)
        self.assertIsNone(v.seeds_needed)                 # no literature effect given

    def test_mde_is_the_effect_detected_with_power_08(self):
        """Simulated: at a true effect = mde, the test's rejection rate at α/m is ≈ 0.8."""
        rng = np.random.default_rng(2009)
        n, m, reps = 5, 4, 4000
        z = standardized(rng, n)
        fam = [diff(f"c{i}", z) for i in range(m)]
        mde = judge(fam)[0].mde                           # sd = 1
        x = rng.normal(mde, 1.0, size=(reps, n))
        rate = float(np.mean(sst.ttest_1samp(x, 0.0, axis=1).pvalue < 0.05 / m))
        se = math.sqrt(0.8 * 0.2 / reps)
        print(f"\n[stats] power at the difference MDE: {rate:.3f}", file=sys.stderr)
        self.assertLess(abs(rate - 0.8), 3 * se)
        # Equivalence: mde = margin − d₁·sd, the largest |effect| TOST still shows (≈ 0.8).
        margin = 3.0
        eq = judge([Claim("T", f"e{i}", "equivalence", "x", values=tuple(z), margin=margin)
                    for i in range(m)])[0]
        x = rng.normal(eq.mde, 1.0, size=(reps, n))
        p = np.array([DescrStatsW(r).ttost_mean(-margin, margin)[0] for r in x])
        rate = float(np.mean(p < 0.05 / m))
        print(f"[stats] TOST power at the equivalence MDE: {rate:.3f}", file=sys.stderr)
        self.assertLess(abs(rate - 0.8), 3 * se + 0.02)   # the approximation's small loss
        # Non-inferiority, direction −1: mde is the true effect with power 0.8.
        ni = judge([Claim("T", f"n{i}", "non-inferiority", "x", values=tuple(z), margin=0.5,
                          direction=-1) for i in range(m)])[0]
        x = rng.normal(ni.mde, 1.0, size=(reps, n))
        rate = float(np.mean(sst.ttest_1samp(x, 0.5, axis=1, alternative="less").pvalue
                             < 0.05 / m))
        self.assertLess(abs(rate - 0.8), 3 * se)

    def test_as_json_finite_and_keys(self):
        fam = [diff("normal", [0.1, 0.2, 0.3], literature_effect=0.05),
               diff("one", [1.0]), diff("none", []),
               diff("flat", [2.0, 2.0, 2.0], literature_effect=1.0),
               Claim("T", "eq", "equivalence", "x", values=(0.0, 0.01, -0.01), margin=0.1,
                     margin_reason="a tenth", source="Saxe 2014"),
               Claim("T", "ni", "non-inferiority", "x", values=(0.0,), b=(0.1, 0.2),
                     margin=0.1)]
        for v in judge(fam):
            j = v.as_json()
            text = json.dumps(j, allow_nan=False)          # raises on NaN/inf
            self.assertTrue(REQUIRED_KEYS <= set(j), REQUIRED_KEYS - set(j))
            self.assertEqual("margin" in j, v.claim.kind != "difference")
            for k, x in j.items():
                if isinstance(x, float):
                    self.assertTrue(math.isfinite(x), (k, x))
            self.assertIn(j["outcome"], stats.OUTCOMES)
            self.assertEqual(json.loads(text), j)
            self.assertEqual(v.family, "T")                # Claim fields readable on Verdict
        self.assertEqual(judge(fam)[4].as_json()["margin_reason"], "a tenth")


class Degenerate(unittest.TestCase):

    def test_zero_spread(self):
        v = judge([diff("pos", [0.5] * 4), diff("zero", [0.0] * 4),
                   Claim("T", "eq in", "equivalence", "x", values=(0.01,) * 3, margin=0.1),
                   Claim("T", "eq out", "equivalence", "x", values=(0.2,) * 3, margin=0.1),
                   Claim("T", "ni", "non-inferiority", "x", values=(-0.05,) * 3, margin=0.1)])
        # The exact sign-flip p of n equal values: 2·0.5^n two-sided, 0.5^n one-sided.
        for got, want in zip([x.p for x in v], [0.125, 1.0, 0.125, 1.0, 0.125]):
            self.assertAlmostEqual(got, want, places=12)
        self.assertEqual([x.outcome for x in v], ["inconclusive", "inconclusive", "inconclusive",
                                                  "contradicted", "inconclusive"])
        for x in v:
            self.assertIn("zero spread", x.reason)
            self.assertEqual((x.ci_low, x.ci_high, x.sim_low, x.sim_high), (x.effect,) * 4)

    def test_two_identical_numbers_prove_nothing(self):
        # Bit-identical paired runs (common random numbers) must not make a claim "supported".
        self.assertEqual(judge([diff("two", [0.1, 0.1])])[0].outcome, "inconclusive")
        self.assertEqual(judge([Claim("T", "two b", "difference", "x", values=(0.3, 0.3),
                                      b=(0.1, 0.1))])[0].outcome, "inconclusive")
        # Ten equal positive differences: exact p = 2/1024, supported on its own.
        v = judge([diff("ten", [0.1] * 10)])[0]
        self.assertAlmostEqual(v.p, 2 / 1024, places=12)
        self.assertEqual(v.outcome, "supported")

    def test_too_few(self):
        v = judge([diff("empty", []),
                   Claim("T", "one a side", "difference", "x", values=(1.0,), b=(0.0, 2.0))])
        self.assertIsNone(v[0].effect)
        self.assertEqual(v[1].effect, 0.0)
        for x in v:
            self.assertEqual(x.outcome, "inconclusive")
            self.assertIsNone(x.p)
            self.assertIsNone(x.mde)
            self.assertIn("no test", x.reason)

    def test_errors_name_the_claim(self):
        with self.assertRaisesRegex(ValueError, "'bad one'.*non-finite"):
            judge([diff("bad one", [1.0, float("nan"), 2.0])])
        with self.assertRaisesRegex(ValueError, "'inf b'.*non-finite"):
            judge([Claim("T", "inf b", "difference", "x", values=(1, 2), b=(1, math.inf))])
        with self.assertRaisesRegex(ValueError, "'no margin'.*margin"):
            judge([Claim("T", "no margin", "equivalence", "x", values=(1, 2))])
        with self.assertRaisesRegex(ValueError, "kind"):
            judge([Claim("T", "k", "bigger", "x", values=(1, 2))])
        with self.assertRaisesRegex(ValueError, "one family"):
            judge([diff("a", [1, 2]), Claim("U", "b", "difference", "x", values=(1, 2))])
        self.assertEqual(judge([]), [])


class CensoredSteps(unittest.TestCase):

    def test_restricted_steps_and_reached(self):
        self.assertEqual(stats.restricted_steps(50, 100), 50.0)
        self.assertEqual(stats.restricted_steps(101, 100), 101.0)
        self.assertEqual(stats.restricted_steps(500, 100), 101.0)
        self.assertTrue(stats.reached(100, 100))
        self.assertFalse(stats.reached(101, 100))
        with self.assertRaisesRegex(ValueError, "step_budget \\+ 1"):
            stats.restricted_steps(float("nan"), 100)

    def test_km_median(self):
        # 5 runs, budget 10: events at 5, 7, 9, two censored at 11. S = .8, .6, .4 → median 9.
        self.assertEqual(stats.km_median([5, 7, 9, 11, 11], 10), 9.0)
        # Only 2 of 5 reached: S never falls to one half.
        self.assertIsNone(stats.km_median([5, 7, 11, 11, 11], 10))
        self.assertIsNone(stats.km_median([11, 11], 10))
        self.assertIsNone(stats.km_median([], 10))
        # No censoring, S = .75 .5 .25 0: statsmodels takes the first S strictly below .5.
        self.assertEqual(stats.km_median([3, 1, 2, 4], 10), 3.0)
        self.assertEqual(stats.km_median([3, 1, 2, 4, 5], 10), 3.0)   # odd n: the middle


if __name__ == "__main__":
    unittest.main()
