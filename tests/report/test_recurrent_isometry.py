"""Tests of issue 21's report part: RQA-rnn (the Jacobian through time at initialization) and
SEED/SENT's distance from isometry during training, through the real report (cli.write_report).

- RQA-rnn of a known truth (synth.RNN_TRUTH: log sv2_mean linear in g): the critical-gain claims
  (L = 28 per input kind; the Gaussian input's stationary one) are supported when measured =
  theory and contradicted when the measured curve is shifted by several band half-widths; the
  regime claims name theory's regime (g = 1 contracting, 1.025 critical, 1.25 expanding) and are
  supported; the crossing interpolation and the margin are exact on a linear truth; the figures
  and the critical-gain table are written;
- SEED with per-evaluation Jacobian fields, 5 seeds: the gain-adjusted penalty's paired
  differences against the plain penalty and no penalty are supported, a run without
  jac_log_sv2_dist is left out and counted; the figures exist; SENT without the fields gives
  notes and no isometry figure, and no error.

    MPLBACKEND=Agg /usr/bin/python3 -m unittest discover -s tests/report \
        -p test_recurrent_isometry.py -v
"""
import contextlib
import io
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))
sys.path.insert(0, HERE)

import synth  # noqa: E402
from isobench_report import cli, rqa_rnn  # noqa: E402


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_iso_test_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self, path, sub="out"):
        out = os.path.join(self.tmp, sub)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.write_report([path], out)
        self.assertEqual(code, 0, err.getvalue())
        with open(os.path.join(out, "verdicts.json")) as f:
            got = json.load(f)
        with open(os.path.join(out, "report.md")) as f:
            return out, {v["claim"]: v for v in got}, f.read()


CRIT = "RNN {task} H=128, orth. W: J_28's critical gain = the mean field's"
STAT = "RNN gaussian H=128, orth. W: stationary g* = the mean field's"


class RqaRnn(Base):
    def write(self, sub, shift=0.0):
        d = os.path.join(self.tmp, sub)
        w = synth.Writer(d)
        synth.write_rqa_rnn(w, d, random.Random(3), shift=shift)
        return w.finish()

    def test_crossing_and_margin_are_exact_on_a_linear_truth(self):
        gs = synth.RNN_GAINS
        ys = [synth.rnn_log_sv2("gaussian", g, 28) for g in gs]
        g, slope = rqa_rnn.crossing(gs, ys)
        self.assertAlmostEqual(g, synth.rnn_critical_gain("gaussian", 28), places=12)
        self.assertAlmostEqual(slope, 0.5 * 28, places=9)
        self.assertEqual(rqa_rnn.crossing(gs, [-1.0] * len(gs)), (None, None))
        self.assertEqual(rqa_rnn.regime(-1.5), "contracting")
        self.assertEqual(rqa_rnn.regime(0.99), "critical")
        self.assertEqual(rqa_rnn.regime(1.01), "expanding")

    def test_measured_equal_theory_supported_shifted_contradicted(self):
        for shift, want in ((0.0, "supported"), (None, "contradicted")):
            with self.subTest(shift=shift):
                # several band half-widths: 5 × the widest (the Gaussian stationary band,
                # 1/(0.5·72) = 0.028; rowmnist's at L = 28 is 1/60; gaussian's 1/14 = 0.071)
                sh = 0.0 if shift is not None else 5 / 14
                out, v, md = self.report(self.write(f"s{sh}", sh), f"o{sh}")
                for task in ("gaussian", "rowmnist"):
                    c = v[CRIT.format(task=task)]
                    self.assertEqual(c["kind"], "equivalence")
                    self.assertEqual(c["outcome"], want, c)
                    self.assertEqual(c["n"], 3)
                    rate = synth.RNN_TRUTH[task]["rate"]
                    self.assertAlmostEqual(c["margin"], 1 / (rate * 28), places=9)
                    self.assertAlmostEqual(c["effect"], sh, delta=0.01)
                    self.assertIn("critical band |log ∏χ_t| ≤ 1", c["margin_reason"])
                st = v[STAT]
                self.assertEqual(st["outcome"], want, st)
                self.assertAlmostEqual(st["margin"], 1 / (0.5 * 72), places=9)
                self.assertAlmostEqual(st["effect"], sh, delta=0.01)
                self.assertEqual(v[CRIT.format(task="gaussian")]["family"], "RQA")
                self.assertIn("rowmnist", md.split("no stationary critical-gain claim")[0][-200:])

    def test_regime_claims_name_theorys_regime_and_hold(self):
        out, v, md = self.report(self.write("r"))
        want = {"1": "contracting", "1.025": "critical", "1.25": "expanding"}
        for g, reg in want.items():
            name = f"RNN rowmnist, H=128, g={g}: J_28 is {reg} (theory's regime)"
            self.assertIn(name, v)
            self.assertEqual(v[name]["outcome"], "supported", v[name])
            self.assertEqual(v[name]["kind"], "equivalence" if reg == "critical"
                             else "difference")
        exp = v["RNN rowmnist, H=128, g=1.25: J_28 is expanding (theory's regime)"]
        self.assertAlmostEqual(exp["effect"], synth.rnn_log_sv2("rowmnist", 1.25, 28) - 1,
                               delta=0.05)
        self.assertEqual(exp["direction"], 1)

    def test_a_wrong_regime_is_contradicted(self):
        """Measured far above theory at g = 1 (theory: contracting) → contradicted."""
        out, v, _ = self.report(self.write("w", shift=-0.1))  # measured = truth at g + 0.1
        c = v["RNN rowmnist, H=128, g=1: J_28 is contracting (theory's regime)"]
        self.assertEqual(c["outcome"], "contradicted", c)

    def test_figures_and_table_written(self):
        out, v, md = self.report(self.write("f"))
        for f in ("rqa_rnn_sv2_mean.png", "rqa_rnn_phase_diagram.png",
                  "rqa_rnn_critical_gain.csv"):
            self.assertTrue(os.path.getsize(os.path.join(out, f)) > 0, f)
        self.assertIn("![RQA: rqa_rnn_sv2_mean.png]", md)
        self.assertIn("Critical gain of J_L per task", md)
        row = [l for l in md.splitlines() if l.startswith("| gaussian | 128 | orthogonal | 28 |")]
        self.assertEqual(len(row), 1, md)
        self.assertIn("3 of 3", row[0])
        self.assertIn(f"{synth.rnn_critical_gain('gaussian', 28):.4g}", row[0])
        self.assertFalse(os.path.exists(os.path.join(out, "rqa_rnn_pixelmnist.png")))
        # synth: log_sv2_mean = log sv2_mean − 0.3, so −0.3 where sv2_mean crosses 1
        m = re.search(r"the exact mean log sv² is gaussian \(H=128\) (-?[0-9.]+)", md)
        self.assertIsNotNone(m, md)
        self.assertAlmostEqual(float(m.group(1)), -0.3, delta=0.03)

    def test_pixelmnist_has_its_own_figure_and_claim(self):
        d = os.path.join(self.tmp, "px")
        w = synth.Writer(d)
        synth.write_rqa_rnn(w, d, random.Random(3), tasks=("rowmnist", "pixelmnist"))
        out, v, md = self.report(w.finish())
        self.assertTrue(os.path.getsize(os.path.join(out, "rqa_rnn_pixelmnist.png")) > 0)
        self.assertEqual(v[CRIT.format(task="pixelmnist")]["outcome"], "supported")
        self.assertNotIn(STAT, v)  # no Gaussian input: no stationary claim

    def test_no_phase_diagram_file_is_a_note(self):
        d = os.path.join(self.tmp, "np")
        w = synth.Writer(d)
        synth.write_rqa_rnn(w, d, random.Random(3), phase_diagram=False)
        out, v, md = self.report(w.finish())
        self.assertIn("rqa_rnn_phase_diagram.json not found", md)
        self.assertTrue(os.path.exists(os.path.join(out, "rqa_rnn_sv2_mean.png")))


SEED_NAME = ("{fam}/{model}/task:{task}/dataset:{ds}/act:tanh/init:{init}{gain}/hidden:128/"
             "batch:128{reg}/opt:adam/lr:0.0001/seed:{s}")
CLOSER = {"jac_log_sv2_dist": "closer to isometry",
          "|jac_log_sv2_mean|": "with its log-det (volume) closer to 0"}


class _Tmpl(str):
    def format(self, what):  # noqa: A003 — the claim text for `what`
        return str.format(self, what=what, closer=CLOSER[what])


ADJ_PLAIN = _Tmpl("the gain-adjusted penalty keeps J_T {closer} than the plain penalty ({what})")
ADJ_NONE = _Tmpl("the gain-adjusted penalty keeps J_T {closer} than no penalty ({what})")


def seed_iso_results(out, fam="SEED", with_fields=True, drop_dist=None,
                     grad_field="hidden_grad_norm"):
    """5 seeds: so and so_gain_adjusted (g = 1.25, λ = 0.5, mean), no penalty at g = 1.25.
    Final jac_log_sv2_dist: adjusted 1, plain 2, none 3 (+ seed noise); jac_log_sv2_mean:
    adjusted ≈ −0.1, plain −1.5, none −2.5. drop_dist: (reg, seed) whose run lacks the dist."""
    rng = random.Random(5)
    w = synth.Writer(out)
    model, task, ds = ("rnn", "rowmnist", "mnist") if fam == "SEED" else \
        ("lstm", "sentiment", "rt-polarity")
    for s in range(1, 6):
        for reg, dist, lm in (("so_gain_adjusted", 1.0, -0.1), ("so", 2.0, -1.5),
                              ("none", 3.0, -2.5)):
            r = "/reg:none" if reg == "none" else f"/reg:{reg}/norm:mean/lambda:0.5"
            name = SEED_NAME.format(fam=fam, model=model, task=task, ds=ds, init="orthogonal",
                                    gain="/gain:1.25", reg=r, s=s)
            acc = 0.9 - 0.02 * dist + rng.uniform(-0.002, 0.002)
            c = {"best_val_acc": acc, "final_acc": acc, "diverged": 0}
            d = dist + rng.gauss(0, 0.05)
            m = lm + rng.gauss(0, 0.05)

            def extra(e, d=d, m=m):
                if not with_fields:
                    return {}
                return {"jac_log_sv2_dist": d * e / 4, "jac_log_sv2_mean": m * e / 4,
                        "jac_sv2_mean": 1.0,
                        grad_field: [0.1 * math.exp(-0.1 * t * (1 + e)) for t in
                                             range(29)]}
            if with_fields:
                c.update({"jac_log_sv2_mean": m, "jac_sv2_mean": 1.0, "jac_sv2_var": 1.0})
                if drop_dist != (reg, s):
                    c["jac_log_sv2_dist"] = d
            tr = synth.training_trace(rng, 300, acc, epochs=4, extra=extra)
            if with_fields:
                tr.append({"kind": "jacobian_final", "steps": 28, "sequences": 4,
                           "sv2": [[1.0] * 4], "log_sv2_mean": [m]})
            w.run(name, c, tr)
    return w.finish()


class SeedIsometry(Base):
    def test_gain_adjusted_closer_to_isometry_supported_and_absent_dist_not_judged(self):
        path = seed_iso_results(os.path.join(self.tmp, "in"), drop_dist=("so", 3))
        out, v, md = self.report(path)
        for what, tmpl in (("jac_log_sv2_dist", ADJ_NONE), ("|jac_log_sv2_mean|", ADJ_PLAIN),
                           ("|jac_log_sv2_mean|", ADJ_NONE)):
            c = v[tmpl.format(what=what)]
            self.assertEqual(c["outcome"], "supported", c)
            self.assertEqual(c["direction"], -1)
            self.assertLess(c["effect"], 0)
        # seed 3's plain run has no distance: that comparison is described, not judged (the
        # unresolved runs are the furthest from isometry; dropping them would bias it)
        self.assertNotIn(ADJ_PLAIN.format(what="jac_log_sv2_dist"), v)
        self.assertIn("not judged — the gain-adjusted penalty keeps J_T closer to isometry than "
                      "the plain penalty (jac_log_sv2_dist): 1 of 5 pairs lack", md)
        self.assertEqual(v[ADJ_PLAIN.format(what="|jac_log_sv2_mean|")]["n"], 5)
        self.assertAlmostEqual(v[ADJ_NONE.format(what="|jac_log_sv2_mean|")]["effect"], -2.4,
                               delta=0.1)
        for f in ("seed_isometry_per_epoch.png", "seed_hidden_grad_norm.png"):
            self.assertTrue(os.path.getsize(os.path.join(out, f)) > 0, f)
        self.assertIn("Spearman ρ = -1.00", md.replace("−", "-"))
        self.assertIn("a description only", md)

    def test_sent_state_grad_norm_draws_its_own_figure(self):
        path = seed_iso_results(os.path.join(self.tmp, "sent_state"), fam="SENT",
                                grad_field="state_grad_norm")
        out, _, _ = self.report(path, "sent_state_out")
        self.assertTrue(os.path.exists(os.path.join(out, "sent_state_grad_norm.png")))
        self.assertFalse(os.path.exists(os.path.join(out, "sent_hidden_grad_norm.png")))

    def test_sent_without_the_fields_gives_notes_not_errors(self):
        path = seed_iso_results(os.path.join(self.tmp, "sent"), fam="SENT", with_fields=False)
        out, v, md = self.report(path)
        self.assertIn("SENT: no trace has jac_log_sv2_dist or jac_log_sv2_mean per evaluation",
                      md)
        self.assertIn("SENT: no trace has hidden_grad_norm", md)
        self.assertFalse(os.path.exists(os.path.join(out, "sent_isometry_per_epoch.png")))
        self.assertFalse(any("isometry" in c for c in v))
        self.assertNotIn("failed", md.split("## SENT")[1])

    def test_sent_with_the_fields_is_drawn_like_seed(self):
        path = seed_iso_results(os.path.join(self.tmp, "sentf"), fam="SENT")
        out, v, md = self.report(path)
        self.assertTrue(os.path.exists(os.path.join(out, "sent_isometry_per_epoch.png")))
        self.assertTrue(os.path.exists(os.path.join(out, "sent_hidden_grad_norm.png")))
        self.assertIn(ADJ_NONE.format(what="jac_log_sv2_dist"), v)


if __name__ == "__main__":
    unittest.main()
