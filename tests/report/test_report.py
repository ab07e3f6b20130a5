"""Tests of the isobench report (reports/report.py, reports/isobench_report/): every family's
figures from synthetic results and traces, and every kind of bad input giving a clear message
and a partial report — never a traceback, never nothing.

    /usr/bin/python3 -m unittest discover -s tests/report -v     (from the repository root)
"""
import contextlib
import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))
sys.path.insert(0, HERE)

import synth  # noqa: E402
from isobench_report import cli, families, inputs, plotting  # noqa: E402
from isobench_report.families import rqa  # noqa: E402

REPORT = os.path.join(ROOT, "reports", "report.py")
PY = sys.executable

FIGURES = {
    "RQA": ["rqa_grad_norms.png", "rqa_jjt_hist.png", "rqa_sv2_mean_vs_depth.png",
            "rqa_sv2_var_vs_depth.png", "rqa_phase_diagram.png"],
    "RQB": ["rqb_steps_vs_depth.png"],
    "RQC": ["rqc_acc_vs_steps.png", "rqc_acc_vs_isometry.png"],
    "RQD": ["rqd_acc_vs_steps.png", "rqd_cost.png", "rqd_kernel_sv.png"],
    "RQE": ["rqe_acc_vs_steps.png", "rqe_cost.png", "rqe_acc_vs_depth.png"],
    "SEED": ["seed_fig7_kernel_sv.png", "seed_fig8_val_acc.png"],
    "SENT": ["sent_fig7_kernel_sv.png", "sent_fig8_val_acc.png"],
    "TASK": ["task_loss_vs_steps.png"],
    "PERF": ["perf_gflops.png"],
}


def run_report(inputs, out):
    """write_report in-process; returns (exit code, report.md text, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.write_report(inputs, out)
    with open(os.path.join(out, "report.md")) as f:
        return code, f.read(), err.getvalue()


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_report_test_")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def synth(self, sub="in", families=None):
        d = os.path.join(self.tmp, sub)
        synth.write_all(d, families)
        return d

    def assertPng(self, name):
        path = os.path.join(self.out, name)
        self.assertTrue(os.path.exists(path), f"{name} was not written")
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG")
        self.assertGreater(os.path.getsize(path), 5000, f"{name} looks empty")


class EveryFamily(Tmp):
    """One report over synthetic results of every family."""

    def test_every_family_has_its_section_table_figures_and_verdict(self):
        d = self.synth()
        code, md, err = run_report([os.path.join(d, "results.json")], self.out)
        self.assertEqual(code, 0, err)
        self.assertNotIn("figures failed", md)
        self.assertNotIn("could not be computed", md)
        self.assertNotIn("## Problems", md)
        known = families.discover()
        for fam, figs in FIGURES.items():
            with self.subTest(family=fam):
                title = known[fam].title
                self.assertIn(f"## {title}", md)
                self.assertTrue(os.path.exists(os.path.join(self.out,
                                                            f"{fam.lower()}_table.csv")))
                for f in figs:
                    self.assertPng(f)
                    self.assertIn(f"]({f})", md)
                section = md.split(f"## {title}")[1].split("\n## ")[0]
                # Claims are judged (**Verdict:**); PERF states none and only observes.
                line = "**Observed:**" if fam == "PERF" else "**Verdict:**"
                self.assertIn(line, section, f"{fam} has no {line}")
        # Outcomes follow from the synthetic data (verdicts.json, the same as the lines).
        with open(os.path.join(self.out, "verdicts.json")) as f:
            outcome = {(v["family"], v["claim"]): v["outcome"] for v in json.load(f)}
        for key, want in [
                (("RQB", "orthogonal init: steps to target flat in depth"), "supported"),
                (("RQB", "scaled Gaussian init: steps to target grow with depth"), "supported"),
                (("RQD", "accuracy rises with the spectral margin"), "supported"),
                (("RQE", "gaussian init: the penalties' gain grows with depth"), "supported"),
                (("TASK", "`rnn/task:copy/init:orthogonal/hidden:64/batch:32/opt:adam/"
                          "lr:0.001` learns (final loss below the trivial baseline)"),
                 "supported"),
                (("TASK", "`rnn/task:copy/init:glorot_uniform/hidden:64/batch:32/opt:adam/"
                          "lr:0.001` learns (final loss below the trivial baseline)"),
                 "contradicted"),
                (("SEED", "so_gain_adjusted beats so (task:rowmnist gain:1.25 norm:mean "
                          "lambda:0.5 lr:0.0001)"), "supported")]:
            self.assertEqual(outcome.get(key), want, key)
        self.assertIn("**Verdict:** **supported** — orthogonal init: steps to target flat in "
                      "depth (equivalence: |effect| < 0.2;", md)
        # Observations still carry what was measured.
        self.assertIn("only for tanh critical/orthogonal", md)
        self.assertIn("below the trivial baseline in 2 of 4", md)
        self.assertIn("batch of 16", md)  # the gradient-probe caveat next to grad ratios
        # mean ± std over seeds in the tables
        self.assertRegex(md, r"\| RQE/mlp/.*reg:none.* \| 5 \| 0\.9\d* ± 0\.00\d+ \|")


class BadInputs(Tmp):
    def test_malformed_json_is_named_and_the_rest_reported(self):
        good = self.synth(families=["RQB"])
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"context": {}, "benchmarks": [ {"name": "RQB/x"')
        code, md, err = run_report([bad, os.path.join(good, "results.json")], self.out)
        self.assertEqual(code, 1)
        self.assertIn("bad.json", md)
        self.assertIn("could not be read", md)
        self.assertIn("## RQB", md)
        self.assertPng("rqb_steps_vs_depth.png")
        self.assertNotIn("Traceback", err)

    def test_json_that_is_not_a_results_object(self):
        bad = os.path.join(self.tmp, "list.json")
        with open(bad, "w") as f:
            json.dump([1, 2, 3], f)
        code, md, _ = run_report([bad], self.out)
        self.assertEqual(code, 1)
        self.assertIn("not a Google Benchmark results object", md)
        self.assertIn("nothing to report", md)

    def test_missing_file_and_directory_without_results(self):
        empty_dir = os.path.join(self.tmp, "empty")
        os.makedirs(empty_dir)
        code, md, _ = run_report([os.path.join(self.tmp, "nope.json"), empty_dir], self.out)
        self.assertEqual(code, 1)
        self.assertIn("nope.json` does not exist", md)
        self.assertIn("a directory input must contain results.json", md)

    def test_directory_input_is_its_results_json(self):
        d = self.synth(families=["TASK"])
        code, md, _ = run_report([d], self.out)
        self.assertEqual(code, 0)
        self.assertPng("task_loss_vs_steps.png")
        self.assertIn("trivial baseline", md)

    def test_missing_traces_give_a_note_and_the_tables(self):
        d = self.synth(families=["RQA", "SEED", "TASK", "RQC"])
        shutil.rmtree(os.path.join(d, "traces"))
        os.remove(os.path.join(d, "rqa_phase_diagram.json"))
        code, md, err = run_report([d], self.out)
        self.assertEqual(code, 0)
        self.assertNotIn("figures failed", md)
        self.assertIn("have no trace file", md)
        self.assertIn("rqa_phase_diagram.json not found", md)
        for fam in ["RQA", "SEED", "TASK", "RQC"]:
            self.assertIn(f"| {fam}/", md)  # the table is complete without traces
        # Figures from counters alone are still drawn.
        self.assertPng("rqa_sv2_var_vs_depth.png")

    def test_no_runs_at_all(self):
        p = os.path.join(self.tmp, "results.json")
        with open(p, "w") as f:
            json.dump({"context": {}, "benchmarks": []}, f)
        code, md, _ = run_report([p], self.out)
        self.assertEqual(code, 0)
        self.assertIn("No runs in the inputs: nothing to report.", md)

    def test_families_not_in_the_inputs_are_listed(self):
        d = self.synth(families=["PERF"])
        code, md, _ = run_report([d], self.out)
        self.assertEqual(code, 0)
        self.assertIn("not in the inputs: RQA, RQB, RQC, RQD, RQE, SEED, SENT, TASK", md)

    def test_errored_runs_are_listed_and_an_all_failed_family_is_reported(self):
        d = self.synth(families=["RQC"])
        p = os.path.join(d, "results.json")
        with open(p) as f:
            r = json.load(f)
        for b in r["benchmarks"][:2]:
            b.clear()
            b.update({"name": "RQC/mlp/dataset:mnist/act:tanh/init:he/seed:9" + str(len(b)),
                      "error_occurred": True,
                      "error_message": "data/mnist/train-images: missing; run ./isobench data"})
        r["benchmarks"].append({"name": "SEED/rnn/task:rowmnist/init:orthogonal/seed:1",
                                "error_occurred": True, "error_message": "bad gain"})
        with open(p, "w") as f:
            json.dump(r, f)
        code, md, _ = run_report([p], self.out)
        self.assertEqual(code, 0)
        self.assertIn("## Runs that failed", md)
        self.assertIn("missing; run ./isobench data", md)
        self.assertIn("Every run of SEED failed (1)", md)
        self.assertIn("(1 failed)", md)
        self.assertNotIn("figures failed", md)

    def test_duplicates_across_inputs_are_reported_once(self):
        d = self.synth(families=["RQB"])
        p = os.path.join(d, "results.json")
        code, md, _ = run_report([p, d], self.out)
        self.assertEqual(code, 0)
        self.assertIn("already read from an earlier input (first copy kept)", md)
        with open(p) as f:
            n = len(json.load(f)["benchmarks"])
        self.assertIn(f"; {n} runs", md)

    def test_shards_merge(self):
        a = self.synth("a", families=["RQB"])
        b = self.synth("b", families=["TASK"])
        code, md, _ = run_report([a, b], self.out)
        self.assertEqual(code, 0)
        self.assertIn("## RQB", md)
        self.assertIn("## TASK", md)
        self.assertPng("task_loss_vs_steps.png")  # traces found next to each input

    def test_gaps_missing_seeds_and_shards(self):
        d = self.synth(families=["RQB"])
        p = os.path.join(d, "results.json")
        with open(p) as f:
            r = json.load(f)
        r["context"]["shard"] = "1/3"
        r["benchmarks"] = [b for b in r["benchmarks"]
                           if not (b["name"].endswith("seed:2") and "depth:8/" in b["name"]
                                   and "gaussian" in b["name"])]
        with open(p, "w") as f:
            json.dump(r, f)
        code, md, _ = run_report([p], self.out)
        self.assertEqual(code, 0)
        self.assertIn("shards 0/3, 2/3 of the 3-way split are not among the inputs", md)
        self.assertIn("RQB: 1 configuration(s) have fewer seeds than the others of their grid (2): "
                      "`RQB/mlp/dataset:mnist/act:linear/init:gaussian/depth:8/width:64` lacks "
                      "seed 2", md)

    def test_a_shard_that_is_not_i_of_k_is_named_not_skipped(self):
        inp = inputs.Inputs()
        inp.shards = ["5/3", "0/2", None]  # None: an input without --shard
        g = inputs.gaps(inp)
        self.assertEqual(g, ["an input's context.shard '5/3' is not I/K with 0 <= I < K: which "
                             "part of a sweep it holds is unknown",
                             "shards 1/2 of the 2-way split are not among the inputs: their runs "
                             "are missing from this report"])

    def test_merge_problems_and_unfinished_runs_from_the_context(self):
        d = self.synth(families=["RQB"])
        p = os.path.join(d, "results.json")
        with open(p) as f:
            r = json.load(f)
        r["context"]["merge_problems"] = ["shards 2/4 of the sweep are missing"]
        r["context"]["runs_missing"] = ["RQB/mlp/depth:64/seed:1"]
        r["context"]["merged_from"] = [{"input": "a/results.json", "shard": "0/4", "runs": 3}]
        with open(p, "w") as f:
            json.dump(r, f)
        code, md, _ = run_report([p], self.out)
        self.assertEqual(code, 0)
        self.assertIn("merging the shards: shards 2/4 of the sweep are missing", md)
        self.assertIn("1 selected run(s) did not finish (`RQB/mlp/depth:64/seed:1`)", md)
        self.assertIn("merged from: `a/results.json` (shard 0/4, 3 runs)", md)

    def test_malformed_trace_lines_and_missing_fields(self):
        d = self.synth(families=["RQC", "SEED"])
        tdir = os.path.join(d, "traces")
        for fn in os.listdir(tdir):
            path = os.path.join(tdir, fn)
            with open(path) as f:
                rows = [json.loads(x) for x in f]
            with open(path, "w") as f:
                f.write("not json at all\n[1,2]\n")
                for r in rows:
                    for k in ("val_acc", "val_loss", "kernel_sv_mean"):
                        r.pop(k, None)
                    f.write(json.dumps(r) + "\n")
                f.write('{"step": 5, "loss": NaN-garbage\n')
        code, md, _ = run_report([d], self.out)
        self.assertEqual(code, 0)
        self.assertIn("41 trace file(s) had malformed line(s) (123 in all) that were skipped", md)
        self.assertIn("RQC: no trace has val_acc; the curves show train_acc instead", md)
        self.assertIn("no trace has kernel_sv_mean per epoch; Figure 7 is skipped", md)
        self.assertPng("rqc_acc_vs_steps.png")
        self.assertPng("seed_fig8_val_acc.png")
        self.assertNotIn("figures failed", md)

    def test_traces_without_any_curve_field(self):
        d = self.synth(families=["TASK"])
        tdir = os.path.join(d, "traces")
        for fn in os.listdir(tdir):
            with open(os.path.join(tdir, fn), "w") as f:
                f.write('{"kind": "config"}\n')
        code, md, _ = run_report([d], self.out)
        self.assertEqual(code, 0)
        self.assertIn("TASK: no trace has loss or val_loss per step", md)
        self.assertIn("below the trivial baseline", md)  # the verdict uses counters

    def test_malformed_phase_diagram(self):
        d = os.path.join(self.tmp, "in")
        os.makedirs(d)
        with open(os.path.join(d, "results.json"), "w") as f:
            json.dump({"context": {}, "benchmarks": []}, f)
        with open(os.path.join(d, "rqa_phase_diagram.json"), "w") as f:
            json.dump({"sw2": [1, 2], "sb2": [0], "chi": [[1.0]]}, f)
        with contextlib.redirect_stderr(io.StringIO()):
            inp = inputs.load_inputs([d])
        notes = []
        self.assertIsNone(rqa.fig_phase_diagram(inp, {}, self.tmp, notes))
        self.assertEqual(len(notes), 1)
        self.assertIn("rqa_phase_diagram.json` could not be read (chi has shape (1, 1), "
                      "expected (1, 2))", notes[0])

    def test_unknown_family_and_odd_entries(self):
        p = os.path.join(self.tmp, "results.json")
        with open(p, "w") as f:
            json.dump({"context": "not a dict", "benchmarks": [
                {"name": "NEWFAM/mlp/init:orthogonal/seed:1", "final_acc": 0.5},
                {"name": "NEWFAM/mlp/init:gaussian/seed:1", "final_acc": "0.4"},
                {"no_name": 1}, 7]}, f)
        code, md, _ = run_report([p], self.out)
        self.assertEqual(code, 0)
        self.assertIn("## NEWFAM", md)
        self.assertIn("2 entr(y/ies) without a name skipped", md)
        self.assertNotIn("figures failed", md)

    def report_with_broken(self, fams, **hooks):
        """(exit code, report.md) of synthetic `fams` with TASK's `hooks` replaced."""
        d = self.synth(families=fams)
        known = families.discover()
        known["TASK"] = dataclasses.replace(known["TASK"], **hooks)
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli.write_report([d], self.out, known)
        with open(os.path.join(self.out, "report.md")) as f:
            return code, f.read()

    def test_a_failing_figure_keeps_the_rest_of_the_report(self):
        code, md = self.report_with_broken(["TASK", "PERF"], figures=lambda s: 1 / 0)
        self.assertEqual(code, 0)
        self.assertIn("TASK figures failed (ZeroDivisionError", md)
        self.assertIn("| TASK/rnn/task:copy", md)  # its table is still there
        self.assertIn("below the trivial baseline", md)  # and its observation and verdicts
        self.assertPng("perf_gflops.png")

    def test_failing_observations_keep_the_figures_and_claims(self):
        code, md = self.report_with_broken(["TASK"], verdicts=lambda s: [][1])
        self.assertEqual(code, 0)
        self.assertIn("TASK observations failed (IndexError", md)
        self.assertNotIn("**Observed:**", md)
        self.assertIn("**Verdict:**", md)  # the claims do not depend on the observations
        self.assertPng("task_loss_vs_steps.png")

    def test_failing_claims_keep_the_observations_and_table(self):
        code, md = self.report_with_broken(["TASK"], claims=lambda s: 1 / 0)
        self.assertEqual(code, 0)
        self.assertIn("TASK claims failed (ZeroDivisionError", md)
        self.assertNotIn("**Verdict:**", md)
        self.assertIn("**Observed:** TASK: final_loss below the trivial baseline", md)
        self.assertIn("| TASK/rnn/task:copy", md)
        with open(os.path.join(self.out, "verdicts.json")) as f:
            self.assertEqual(json.load(f), [])

    def test_command_line_exit_code_and_no_traceback(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write("{")
        p = subprocess.run([PY, REPORT, "--out", self.out, bad], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn("bad.json", p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.out, "report.md")))


class SeedBand(unittest.TestCase):
    def test_common_grid_interpolation_and_early_stop(self):
        grid, mean, std, count = plotting.seed_band([([0, 10], [0.0, 1.0]),
                                                     ([0, 5, 20], [0.0, 1.0, 1.0])])
        self.assertEqual(list(grid), [0, 5, 10, 20])
        self.assertAlmostEqual(mean[1], (0.5 + 1.0) / 2)  # first curve interpolated at 5
        self.assertAlmostEqual(mean[3], 1.0)  # only the second curve reaches step 20
        self.assertEqual(list(count), [2, 2, 2, 1])
        self.assertEqual(std[3], 0.0)
        self.assertAlmostEqual(std[1], 0.3535533905932738)

    def test_empty(self):
        grid, *_ = plotting.seed_band([])
        self.assertEqual(len(grid), 0)


if __name__ == "__main__":
    unittest.main()
