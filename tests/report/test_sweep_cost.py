"""The report's "What the sweep cost" section (reports/isobench_report/sweep_cost.py): per family
the committed cost table's estimate against the measured sum of real_time, with the ratio."""
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))
from isobench_report import cli, sweep_cost  # noqa: E402
from isobench_sweep import costs  # noqa: E402  (importable through isobench_report)

RQD = ("RQD/rnn/task:rowmnist/dataset:mnist/act:tanh/init:orthogonal/hidden:128/batch:128/"
       "reg:none/constraint:none/opt:adam/lr:0.001/seed:{}")
PERF = "PERF/sgemm/m:128/n:128/k:128"


def entry(name, seconds, unit="s"):
    scale = {"s": 1, "ms": 1e3}[unit]
    return {"name": name, "run_name": name, "run_type": "iteration", "iterations": 1,
            "real_time": seconds * scale, "cpu_time": seconds * scale, "time_unit": unit}


class Section(unittest.TestCase):
    def setUp(self):
        self.table = costs.load(ROOT, "quick")
        self.est = [self.table.estimate(RQD.format(s)) for s in (1, 2)]

    def test_ratio_per_family_and_perf_left_out(self):
        runs = {RQD.format(1): entry(RQD.format(1), 2 * self.est[0]),
                RQD.format(2): entry(RQD.format(2), 2 * self.est[1], "ms"),
                PERF: entry(PERF, 0.001)}
        md = "\n".join(sweep_cost.section(runs, {"profile": "quick"}))
        self.assertIn("## What the sweep cost: estimate against measured", md)
        self.assertIn("| RQD | 2 |", md)
        self.assertIn("| 2.00 |", md)                      # measured / estimate
        self.assertIn("| total | 2 |", md)
        self.assertIn("PERF (1 runs) is left out", md)

    def test_jobs_note_and_missing_table(self):
        runs = {RQD.format(1): entry(RQD.format(1), 1.0)}
        md = "\n".join(sweep_cost.section(runs, {"profile": "quick", "jobs": 2}))
        self.assertIn("--jobs 2", md)
        d = tempfile.mkdtemp()
        try:
            md = "\n".join(sweep_cost.section(runs, {"profile": "quick"}, root=d))
            self.assertIn("No estimate: cannot read the cost table", md)
        finally:
            shutil.rmtree(d)

    def test_mnist_size_from_the_context(self):
        ctx = {"datasets": {"mnist": {"files": [{"role": "train images", "samples": 60000}]}}}
        self.assertEqual(sweep_cost.mnist_of(ctx), "full")
        ctx["datasets"]["mnist"]["files"][0]["samples"] = 10000
        self.assertEqual(sweep_cost.mnist_of(ctx), "10k")
        self.assertIsNone(sweep_cost.mnist_of({}))
        self.assertIsNone(sweep_cost.mnist_of({"datasets": {"mnist": "a description"}}))

    def test_in_the_written_report(self):
        d = tempfile.mkdtemp()
        try:
            res = {"context": {"profile": "quick"},
                   "benchmarks": [entry(RQD.format(1), 3 * self.est[0])]}
            path = os.path.join(d, "results.json")
            with open(path, "w") as f:
                json.dump(res, f)
            with contextlib.redirect_stderr(io.StringIO()):
                cli.write_report([path], os.path.join(d, "out"))
            with open(os.path.join(d, "out", "report.md")) as f:
                md = f.read()
            self.assertIn("## What the sweep cost: estimate against measured", md)
            self.assertIn("| RQD | 1 |", md)
            self.assertIn("| 3.00 |", md)
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
