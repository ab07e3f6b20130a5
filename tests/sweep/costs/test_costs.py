"""sweep.costs: the cost table, the scaling model, the --list summary and the balanced split
(sweep/isobench_sweep/costs.py; docs/SWEEPS.md "What a sweep costs", "Shards of equal cost").

ISOBENCH_COST_BINS: the directory of this build's bench_* binaries (set by ctest); every run
they list — the quick profile, and with ISOBENCH_LIST_PROFILE=paper the paper profile — must have
a finite positive estimate, and the model itself must estimate every run it is meant for (so a
measured value cannot hide a broken model).
"""
import glob
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "sweep"))
from isobench_sweep import costs, sharding  # noqa: E402
from isobench_sweep.binaries import profile_names  # noqa: E402


def listed(profile):
    """Every run name this build's binaries list for profile (without /iterations:1)."""
    bins = os.environ.get("ISOBENCH_COST_BINS")
    if not bins:
        raise AssertionError("ISOBENCH_COST_BINS is not set: run this test through ctest "
                             "(sweep.costs), which points it at the build's binaries")
    if not glob.glob(os.path.join(bins, "bench_*")):
        raise AssertionError(f"no bench_* binaries in {bins}")
    return profile_names(bins, profile)


class FakeTable:
    """A table of given costs (for the split's hand-checked cases)."""

    def __init__(self, cost):
        self.cost = cost

    def estimate(self, name):
        return self.cost[name]


class EveryListedRun(unittest.TestCase):
    def check_profile(self, profile, mnist):
        names = listed(profile)
        self.assertGreater(len(names), 300 if profile == "quick" else 1500)
        table = costs.load(ROOT, profile, mnist)
        for n in names:
            c = table.estimate(n)
            self.assertTrue(math.isfinite(c) and c > 0, f"{profile} {n}: {c}")
            fam, model, _ = costs.parse_name(n)
            # measured only (docs/SWEEPS.md): PERF, the phase diagrams
            if fam != "PERF" and model not in ("phase_diagram", "rnn_phase_diagram"):
                m = table.model_estimate(n)
                self.assertTrue(math.isfinite(m) and m > 0, f"{profile} model {n}: {m}")
        return names, table

    def test_quick_profile(self):
        names, table = self.check_profile("quick", "10k")
        # the quick profile's total is within a factor 2 of 700 s (issue 20: 705 s serial; issue 21
        # added about 75 s)
        total = sum(table.estimate(n) for n in names)
        self.assertTrue(350 < total < 1400, total)

    def test_paper_profile_both_mnist_sizes(self):
        names, full = self.check_profile("paper", "full")
        _, small = self.check_profile("paper", "10k")
        total_full = sum(full.estimate(n) for n in names)
        total_small = sum(small.estimate(n) for n in names)
        self.assertGreater(total_full, total_small)  # the full MNIST costs more

    def test_paper_runs_cost_more_than_their_quick_namesakes(self):
        quick = costs.load(ROOT, "quick")
        paper = costs.load(ROOT, "paper")
        n = ("SEED/rnn/task:rowmnist/dataset:mnist/act:tanh/init:orthogonal/gain:1/hidden:128/"
             "batch:128/reg:none/opt:adam/lr:0.0001/seed:1")
        self.assertGreater(paper.estimate(n), 2 * quick.estimate(n))


class Model(unittest.TestCase):
    def setUp(self):
        self.table = costs.load(ROOT, "paper")

    def test_unknown_family_is_named(self):
        with self.assertRaises(costs.CostTableError) as e:
            self.table.estimate("ZZZ/mlp/depth:4/seed:1")
        self.assertIn("ZZZ/mlp/depth:4/seed:1", str(e.exception))
        self.assertIn("no family 'ZZZ'", str(e.exception))

    def test_name_without_its_keys_is_named(self):
        with self.assertRaises(costs.CostTableError) as e:
            self.table.estimate("RQA/mlp/act:tanh/seed:1")
        self.assertIn("'depth:'", str(e.exception))

    def test_model_scales_with_depth_and_steps(self):
        a = "RQA/mlp/act:linear/init:orthogonal/sw2:1/sb2:0/depth:64/width:400/seed:1"
        b = a.replace("depth:64", "depth:128")
        self.assertGreater(self.table.model_estimate(b), 1.5 * self.table.model_estimate(a))

    def test_an_entry_with_its_own_budget_is_estimated_from_its_name(self):
        rqc = ("RQC/mlp/dataset:mnist/act:tanh/init:orthogonal/sw2:1.05/sb2:2.01e-05/depth:200/"
               "width:400/opt:sgd/lr:0.001/seed:1")
        short = rqc.replace("/seed:1", "/steps:500/seed:1")  # a tenth of the paper's 5,000
        full, part = self.table.model_estimate(rqc), self.table.model_estimate(short)
        self.assertLess(part, 0.2 * full)
        self.assertGreater(part, 0.05 * full)
        task = ("TASK/rnn/task:permmnist/dataset:mnist/act:tanh/init:orthogonal/hidden:128/"
                "batch:128/constraint:none/opt:adam/lr:0.0001/seed:9")
        three = task.replace("/seed:9", "/epochs:3/seed:9")  # 3 of the paper's 10 epochs
        ratio = self.table.model_estimate(three) / self.table.model_estimate(task)
        self.assertAlmostEqual(ratio, 0.3, delta=0.05)

    def test_measured_value_wins_in_its_profile(self):
        quick = costs.load(ROOT, "quick")
        n = "RQB/mlp/dataset:mnist/act:linear/init:gaussian/depth:8/width:64/opt:gd/lr:0.125/seed:1"
        self.assertEqual(quick.estimate(n), quick._measured[n])
        # a fixed-rate RQB run is the same in both profiles: the paper profile uses it too
        self.assertEqual(self.table.estimate(n), quick._measured[n])


class Table(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.dir, "sweep", "costs"))
        self.path = os.path.join(self.dir, costs.TABLE)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_digest_is_the_files_sha256(self):
        t = costs.load(ROOT, "quick")
        with open(os.path.join(ROOT, costs.TABLE), "rb") as f:
            self.assertEqual(t.digest, hashlib.sha256(f.read()).hexdigest())

    def test_missing_table(self):
        with self.assertRaises(costs.CostTableError) as e:
            costs.load(self.dir, "quick")
        self.assertIn(self.path, str(e.exception))
        self.assertIn("git checkout -- sweep/costs/costs.json", str(e.exception))

    def test_corrupt_table(self):
        for text in ("{not json", '{"format": 1}', '{"format": 2, "measured": {}}',
                     '{"format": 1, "measured": {"quick": {"A/b": -1}}, "families": {}}'):
            with open(self.path, "w") as f:
                f.write(text)
            with self.assertRaises(costs.CostTableError) as e:
                costs.load(self.dir, "quick")
            self.assertIn(self.path, str(e.exception))
            self.assertIn("malformed", str(e.exception))

    def test_incomplete_budgets_are_named_not_a_traceback(self):
        with open(os.path.join(ROOT, costs.TABLE)) as f:
            data = json.load(f)
        data["measured"] = {"quick": {}, "paper": {}}
        data["families"]["RQC"]["budgets"]["quick"] = {}  # every budget key missing
        with open(self.path, "w") as f:
            json.dump(data, f)
        t = costs.load(self.dir, "quick")
        name = ("RQC/mlp/dataset:mnist/act:tanh/init:orthogonal/sw2:1.05/sb2:2.01e-05/depth:32/"
                "width:128/opt:sgd/lr:0.01/seed:1")
        with self.assertRaises(costs.CostTableError) as e:
            t.estimate(name)
        self.assertIn("budgets of family RQC", str(e.exception))
        self.assertIn(self.path, str(e.exception))

    def test_unknown_profile(self):
        with self.assertRaises(costs.CostTableError):
            costs.load(ROOT, "huge")


class Split(unittest.TestCase):
    def test_known_lpt_assignment(self):
        cost = {"a": 7, "b": 5, "c": 4, "d": 3, "e": 3, "f": 2}
        parts = costs.balanced_parts(list("fedcba"), FakeTable(cost), 2)
        # a 7→0; b 5→1; c 4→1 (5 < 7); the equal 3s in input order (e before d): e→0 (7 < 9),
        # d→1 (9 < 10); f 2→0 (10 < 12). Loads 12 and 12.
        self.assertEqual(parts, [["f", "e", "a"], ["d", "c", "b"]])
        self.assertAlmostEqual(costs.makespan_ratio(parts, FakeTable(cost)), 12 / 12)

    def test_ties_go_to_the_lower_shard(self):
        parts = costs.balanced_parts(["x", "y", "z"], FakeTable({"x": 1, "y": 1, "z": 1}), 4)
        self.assertEqual(parts, [["x"], ["y"], ["z"], []])

    def test_partition_order_and_determinism_on_the_paper_profile(self):
        names = listed("paper")
        table = costs.load(ROOT, "paper")
        for k in (1, 3, 16, 64):
            parts = costs.balanced_parts(names, table, k)
            self.assertEqual(len(parts), k)
            flat = [n for p in parts for n in p]
            self.assertEqual(sorted(flat), sorted(names))          # covering
            self.assertEqual(len(set(flat)), len(flat))            # disjoint
            pos = {n: i for i, n in enumerate(names)}
            for p in parts:                                        # input order kept
                self.assertEqual(p, sorted(p, key=pos.get))
            again = costs.balanced_parts(list(names), costs.load(ROOT, "paper"), k)
            self.assertEqual(parts, again)                         # deterministic
        # balanced beats the hash split at K = 16
        hashed = [sharding.part(names, i, 16) for i in range(16)]
        self.assertLess(costs.makespan_ratio(costs.balanced_parts(names, table, 16), table),
                        costs.makespan_ratio(hashed, table))

    def test_bad_k(self):
        with self.assertRaises(ValueError):
            costs.balanced_parts(["a"], FakeTable({"a": 1}), 0)


class Summary(unittest.TestCase):
    def test_lines(self):
        names = listed("quick")
        table = costs.load(ROOT, "quick")
        lines = costs.summary_lines(names, table, 2)
        for line in lines:
            self.assertTrue(line.startswith("# "), line)
        text = "\n".join(lines)
        for fam in ("RQA", "RQB", "SENT", "PERF"):
            self.assertIn(f"#   {fam} ", text)
        self.assertIn(f"#   total {len(names):>5} runs", text)
        self.assertIn("wall time at --jobs 2", text)
        w1 = costs.wall_seconds(names, table, 1)
        w2 = costs.wall_seconds(names, table, 2)
        self.assertAlmostEqual(w1, sum(table.estimate(n) for n in names), places=6)
        self.assertLess(w2, w1)
        perf = sum(table.estimate(n) for n in names if n.startswith("PERF/"))
        self.assertGreater(w2, perf + (w1 - perf) / 2 - 1e-9)  # PERF alone, after the others

    def test_human_units(self):
        self.assertEqual(costs.human(42), "42 s")
        self.assertEqual(costs.human(450), "7.5 min")
        self.assertEqual(costs.human(3 * 3600), "3.0 h")


if __name__ == "__main__":
    unittest.main()
