"""Unit tests of the probe's driver side (sweep/isobench_sweep/probe.py): the first seed of every
configuration, the probe's cost from the full run's, the classes read from probe_class (and a
run without it unclassified), the hints of each flagged case, the table's counts."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))

from isobench_sweep import probe  # noqa: E402


def run(name, **counters):
    return dict({"name": name + "/iterations:1"}, **counters)


class Select(unittest.TestCase):
    def test_first_seed_of_each_configuration_and_no_perf(self):
        names = ["A/x/k:1/seed:2", "A/x/k:1/seed:1", "A/x/k:2/seed:1", "PERF/gemm/n:128",
                 "A/x/k:10/seed:1", "RQA/phase_diagram/act:tanh", "A/x/k:1/seed:3"]
        self.assertEqual(probe.select(names), ["A/x/k:1/seed:2", "A/x/k:2/seed:1",
                                               "A/x/k:10/seed:1", "RQA/phase_diagram/act:tanh"])

    def test_seed_only_as_the_last_key(self):
        self.assertEqual(probe.config_of("A/seed:1/k:2"), "A/seed:1/k:2")
        self.assertEqual(probe.config_of("A/k:2/seed:12/iterations:1"), "A/k:2")


class Cost(unittest.TestCase):
    def test_slices(self):
        self.assertEqual(probe.probe_cost("RQC/mlp/x", 3600), 61.0)     # the 60 s cap
        self.assertEqual(probe.probe_cost("SEED/rnn/x", 100), 6.0)      # 5 %
        self.assertEqual(probe.probe_cost("RQA/rnn/x", 40), 10.0)       # one of four sequences
        self.assertEqual(probe.probe_cost("RQA/mlp/x", 40), 40)         # in full


class Rows(unittest.TestCase):
    def rows(self, *benchmarks):
        return probe.rows_of({"benchmarks": list(benchmarks)}, lambda n: 100.0)

    def test_classes_and_cost(self):
        rows = self.rows(
            run("S/rnn/a/seed:1", probe_class=1, probe_loss_initial=2.3, probe_loss_final=1.9,
                probe_step_seconds=0.01, probe_full_steps=5000),
            run("S/rnn/b/seed:1", probe_class=0, probe_loss_initial=2.3,
                probe_loss_final=2.3, probe_need_loss_drop=0.1),
            run("T/rnn/c/seed:1", probe_class=2),
            run("T/rnn/d/seed:1", probe_class=3),
            run("R/mlp/e/seed:1", probe_class=5),
            dict(run("R/mlp/f/seed:1"), error_occurred=True, error_message="boom"))
        self.assertEqual([r["class"] for r in rows], ["learning", "flat", "plateau", "diverged",
                                                      "not_finite", "unclassified"])
        self.assertAlmostEqual(rows[0]["projected_seconds"], 50.0)
        self.assertEqual(rows[0]["estimated_seconds"], 100.0)
        self.assertEqual(rows[0]["hint"], "")
        self.assertEqual(rows[5]["error"], "boom")
        self.assertEqual(probe.counts(rows), {"S/rnn": {"learning": 1, "flat": 1},
                                              "T/rnn": {"plateau": 1, "diverged": 1},
                                              "R/mlp": {"not_finite": 1, "unclassified": 1}})
        text = probe.table(rows)
        self.assertIn("# flagged: 4 configuration(s)", text)
        self.assertIn("full    50.0 s", text)

    def test_hints_of_flat_runs(self):
        def flat(**c):
            return self.rows(run("S/rnn/a/seed:1", probe_class=0, **c))[0]["hint"]
        self.assertIn("nothing moved", flat(probe_loss_initial=2.3, probe_loss_final=2.29))
        self.assertIn("loss rose", flat(probe_loss_initial=2.3, probe_loss_final=2.6))
        self.assertIn("too slowly", flat(probe_loss_initial=2.3, probe_loss_final=2.2,
                                         probe_need_loss_drop=0.1))
        self.assertIn("gradient vanishes", flat(probe_loss_initial=2.3, probe_loss_final=2.3,
                                                probe_grad_norm=1e-7, probe_need_grad=1e-4))
        # Direction from the initial loss; the reference (copy: the baseline; a classifier: at
        # most log K) only says how far it had to fall.
        self.assertIn("needs <= 0.468", flat(probe_loss_initial=2.4, probe_loss_reference=0.52,
                                             probe_loss_final=0.5, probe_need_loss_drop=0.1))
        self.assertIn("too slowly", flat(probe_loss_initial=2.735, probe_loss_reference=2.3026,
                                         probe_loss_final=2.5))
        # RQB: the gap to the floor E* must shrink by 10 %: 0.456 + 0.9·(1.15 − 0.456) = 1.0806.
        self.assertIn("needs <= 1.081", flat(probe_loss_initial=1.15, probe_loss_reference=1.15,
                                             probe_loss_floor=0.456, probe_loss_final=1.12,
                                             probe_need_loss_drop=0.1))


if __name__ == "__main__":
    unittest.main()
