"""Tests of a user method's selection and comparison (issue 17, item 4):
reports/isobench_report/method_select.py and reports/method_runs.py (`./isobench bench --method`)
on a synthetic name list holding a fake `reg:brock_offdiag` grid, and
reports/isobench_report/methods.py (the report's "NAME against the baselines" sections) on a
synthetic results.json.

    /usr/bin/python3 -m unittest discover -s tests/report -p test_methods.py -v
"""
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "reports"))

from isobench_report import cli, method_select, methods  # noqa: E402

METHOD_RUNS = os.path.join(ROOT, "reports", "method_runs.py")
PY = sys.executable

RQE = "RQE/mlp/dataset:mnist/act:tanh/init:{init}/depth:{d}/width:128/{reg}/opt:adam/lr:0.001/seed:{s}"
RQE_REGS = ["reg:none", "reg:so/norm:sum/lambda:0.01", "reg:so/norm:sum/lambda:0.1-bansal",
            "reg:dso/norm:sum/lambda:0.01"]
BROCK = ["reg:brock_offdiag/norm:sum/lambda:0.001", "reg:brock_offdiag/norm:sum/lambda:0.01"]
RQD = ("RQD/rnn/task:rowmnist/dataset:mnist/act:tanh/init:orthogonal/hidden:128/batch:128/"
       "{reg}/constraint:{c}/opt:adam/lr:0.001/seed:{s}")
SEED = ("SEED/rnn/task:rowmnist/dataset:mnist/act:tanh/init:{init}/hidden:128/batch:128/{reg}/"
        "opt:adam/lr:0.0001/seed:{s}")
TASK = "TASK/rnn/task:copy/act:tanh/init:{init}/hidden:64/batch:32/{c}opt:adam/lr:0.003/seed:{s}"


def synthetic_names():
    """Today's kinds of names plus brock_offdiag runs: RQE at depth 4 only and seeds 1, 2 only
    (depth 16 and seed 3 have no brock run); RQD with constraints beside the penalties; SEED
    with init gains; TASK with a user constraint `fancy` that adds a rate key (and runs without
    a constraint key), the LSTM without any; PERF's penalty costs."""
    names = []
    for init in ("gaussian", "orthogonal"):
        for d in (4, 16):
            for s in (1, 2, 3):
                for reg in RQE_REGS + (BROCK if d == 4 and s != 3 else []):
                    names.append(RQE.format(init=init, d=d, reg=reg, s=s))
    for s in (1, 2):
        for reg, c in [("reg:none", "none"), ("reg:none", "cayley"), ("reg:none", "qr"),
                       ("reg:so/norm:sum/lambda:0.01", "none"),
                       ("reg:brock_offdiag/norm:sum/lambda:0.01", "none"),
                       ("reg:none", "margin/margin:0.1")]:
            names.append(RQD.format(reg=reg, c=c, s=s))
    for s in (1, 2):
        for init, reg in [("glorot_uniform", "reg:none"), ("orthogonal/gain:1", "reg:none"),
                          ("orthogonal/gain:1.25", "reg:none"),
                          ("orthogonal/gain:1.25", "reg:so_gain_adjusted/norm:mean/lambda:1"),
                          ("orthogonal/gain:1.25", "reg:brock_offdiag/norm:mean/lambda:1")]:
            names.append(SEED.format(init=init, reg=reg, s=s))
    for s in (1, 2):
        for init in ("orthogonal", "identity"):
            for c in ("", "constraint:none/", "constraint:cayley/", "constraint:fancy/rate:0.1/"):
                names.append(TASK.format(init=init, c=c, s=s))
        names.append(f"TASK/lstm/task:copy/hidden:32/batch:32/opt:adam/lr:0.01/seed:{s}")
    for r in ("so", "dso", "brock_offdiag"):
        names.append(f"PERF/penalty/reg:{r}/n:128")
    names.append("PERF/constraint/constraint:qr/n:128")
    return names


class Selection(unittest.TestCase):
    def setUp(self):
        self.names = synthetic_names()

    def test_brock_selects_its_runs_and_the_same_settings_baselines(self):
        got = method_select.select(self.names, "brock_offdiag")
        want = [RQE.format(init=i, d=4, reg=r, s=s) for i in ("gaussian", "orthogonal")
                for s in (1, 2) for r in RQE_REGS + BROCK]
        want += [RQD.format(reg=r, c="none", s=s) for s in (1, 2)
                 for r in ("reg:none", "reg:so/norm:sum/lambda:0.01",
                           "reg:brock_offdiag/norm:sum/lambda:0.01")]
        want += [SEED.format(init="orthogonal/gain:1.25", reg=r, s=s) for s in (1, 2)
                 for r in ("reg:none", "reg:so_gain_adjusted/norm:mean/lambda:1",
                           "reg:brock_offdiag/norm:mean/lambda:1")]
        want += [f"PERF/penalty/reg:{r}/n:128" for r in ("so", "dso", "brock_offdiag")]
        self.assertEqual(got, [n for n in self.names if n in set(want)], "order of the list kept")
        self.assertEqual(sorted(got), sorted(want))
        # Not baselines: another depth or seed, another constraint, another init or gain.
        self.assertNotIn(RQE.format(init="gaussian", d=16, reg="reg:none", s=1), got)
        self.assertNotIn(RQE.format(init="gaussian", d=4, reg="reg:none", s=3), got)
        self.assertNotIn(RQD.format(reg="reg:none", c="cayley", s=1), got)
        self.assertNotIn(SEED.format(init="orthogonal/gain:1", reg="reg:none", s=1), got)

    def test_a_constraint_with_its_own_key_and_runs_without_the_key(self):
        got = method_select.select(self.names, "fancy")
        want = [TASK.format(init=i, c=c, s=s) for s in (1, 2) for i in ("orthogonal", "identity")
                for c in ("", "constraint:none/", "constraint:cayley/",
                          "constraint:fancy/rate:0.1/")]
        self.assertEqual(sorted(got), sorted(want))
        self.assertEqual(methods.arm_of(TASK.format(init="identity", c="constraint:fancy/rate:0.1/",
                                                    s=1), "constraint"), ("fancy", "rate:0.1"))

    def test_an_init_is_compared_with_the_other_inits(self):
        got = method_select.select(self.names, "identity")
        self.assertEqual(sorted(got), sorted(TASK.format(init=i, c=c, s=s) for s in (1, 2)
                                             for i in ("orthogonal", "identity")
                                             for c in ("", "constraint:none/", "constraint:cayley/",
                                                       "constraint:fancy/rate:0.1/")))

    def test_unknown_method_names_it_and_lists_the_methods_with_runs(self):
        with self.assertRaises(method_select.NoRuns) as e:
            method_select.select(self.names, "brock")
        msg = str(e.exception)
        self.assertIn("'brock'", msg)
        for m in ("brock_offdiag", "dso", "so_gain_adjusted", "cayley", "fancy", "margin",
                  "glorot_uniform", "identity"):
            self.assertRegex(msg, rf"\b{m}\b")
        with self.assertRaises(method_select.NoRuns) as e:
            method_select.select(self.names, "none")
        self.assertIn("no-treatment baseline", str(e.exception))

    def test_regex_matches_exactly_the_selection(self):
        for m in ("brock_offdiag", "fancy", "identity", "cayley", "so"):
            sel = method_select.select(self.names, m)
            rx = method_select.anchored_regex(sel)
            self.assertEqual([n for n in self.names if re.search(rx, n)], sel, m)
            # A prefix or an extension of a selected name is not matched.
            self.assertIsNone(re.search(rx, sel[0] + "/x"))
            self.assertIsNone(re.search(rx, sel[0].rsplit("/", 1)[0]))
        # Dots are literal: lambda:0.01 does not match lambda:0x01.
        rx = method_select.anchored_regex([RQE.format(init="he", d=4, reg=BROCK[1], s=1)])
        self.assertIsNone(re.search(rx, RQE.format(init="he", d=4, reg=BROCK[1], s=1)
                                    .replace("0.01", "0x01")))

    @unittest.skipUnless(shutil.which("grep"), "needs grep")
    def test_regex_is_posix_extended(self):
        sel = method_select.select(self.names, "brock_offdiag")
        rx = method_select.anchored_regex(sel)
        p = subprocess.run(["grep", "-E", rx], input="\n".join(self.names) + "\n",
                           capture_output=True, text=True)
        self.assertEqual(p.stdout.split(), sel, p.stderr)


class MethodRunsCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_method_runs_")
        self.all = os.path.join(self.tmp, "all.txt")
        with open(self.all, "w") as f:
            f.write("\n".join(synthetic_names()) + "\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_(self, *args):
        return subprocess.run([PY, METHOD_RUNS, "--names", self.all, *args],
                              capture_output=True, text=True)

    def test_names_and_within(self):
        p = self.run_("--method", "brock_offdiag")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), method_select.select(synthetic_names(), "brock_offdiag"))
        within = os.path.join(self.tmp, "within.txt")
        keep = [n for n in synthetic_names() if n.startswith("SEED/") or "reg:none" in n]
        with open(within, "w") as f:
            f.write("\n".join(keep) + "\n")
        p = self.run_("--method", "brock_offdiag", "--within", within, "--filter", "x")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), [n for n in method_select.select(
            synthetic_names(), "brock_offdiag") if n in keep])

    def test_errors(self):
        p = self.run_("--method", "nosuch")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--method nosuch: no run uses the method 'nosuch'", p.stderr)
        self.assertIn("brock_offdiag", p.stderr)
        empty = os.path.join(self.tmp, "empty.txt")
        open(empty, "w").close()
        p = self.run_("--method", "brock_offdiag", "--within", empty, "--filter", "^PERF/x")
        self.assertEqual(p.returncode, 1)
        self.assertIn("matches --filter '^PERF/x'", p.stderr)
        p = subprocess.run([PY, METHOD_RUNS, "--method", "so", "--names",
                            os.path.join(self.tmp, "missing.txt")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.txt", p.stderr)


def entry(name, **counters):
    return dict(name=name, run_name=name, run_type="iteration", repetitions=1,
                repetition_index=0, threads=1, iterations=1, real_time=1.0, cpu_time=1.0,
                time_unit="ms", **counters)


class Report(unittest.TestCase):
    """A results.json of RQE with brock_offdiag at two λ (depth 4, seeds 1, 2)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="isobench_methods_report_")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def results(self, runs):
        path = os.path.join(self.tmp, "results.json")
        with open(path, "w") as f:
            json.dump({"context": {"profile": "quick"}, "benchmarks": runs}, f)
        return path

    def report(self, runs):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli.write_report([self.results(runs)], self.out)
        with open(os.path.join(self.out, "report.md")) as f:
            return code, f.read(), err.getvalue()

    def rqe_runs(self):
        # test_acc by arm and seed: brock λ=0.01 has the better validation accuracy, λ=0.001 the
        # better test accuracy — the report must pick λ=0.01 (on validation) and show its test.
        val = {"reg:none": (0.80, 0.82), BROCK[0]: (0.85, 0.86), BROCK[1]: (0.90, 0.91),
               "reg:so/norm:sum/lambda:0.01": (0.84, 0.83),
               "reg:so/norm:sum/lambda:0.1-bansal": (0.86, 0.88)}
        test = {"reg:none": (0.70, 0.74), BROCK[0]: (0.95, 0.95), BROCK[1]: (0.78, 0.80),
                "reg:so/norm:sum/lambda:0.01": (0.90, 0.90),
                "reg:so/norm:sum/lambda:0.1-bansal": (0.72, 0.75)}
        runs = []
        for reg in val:
            for i, s in enumerate((1, 2)):
                n = RQE.format(init="orthogonal", d=4, reg=reg, s=s)
                runs.append(entry(n, best_val_acc=val[reg][i], test_acc=test[reg][i],
                                  steps_to_target=100 + 10 * i))
        return runs

    def test_section_pairs_by_seed_chooses_lambda_on_validation(self):
        code, md, err = self.report(self.rqe_runs())
        self.assertEqual(code, 0, err)
        self.assertIn("## brock_offdiag against the baselines — RQE", md)
        self.assertIn("chosen on validation", md)
        rows = [l for l in md.splitlines() if l.startswith("| ") and "brock_offdiag" in l]
        test_none = [l for l in rows if "| test_acc |" in l and "| none |" in l]
        self.assertEqual(len(test_none), 1, rows)
        cells = [c.strip() for c in test_none[0].strip("|").split("|")]
        # method λ=0.01 chosen (val 0.905 > 0.855); its test 0.79 against none's 0.72.
        self.assertEqual("brock_offdiag norm:sum, lambda=0.01 (chosen of 2)", cells[1])
        self.assertEqual(cells[4], "2")
        self.assertEqual(cells[5], "0.79")
        self.assertEqual(cells[6], "0.72")
        self.assertEqual(cells[7], "1: 0.08, 2: 0.06")
        self.assertEqual(cells[8], "0.07")
        # t interval: mean 0.07, sd 0.01414, t(0.975, 1) = 12.706 → half 0.127.
        lo, hi = [float(x) for x in cells[9].strip("[]").split(",")]
        self.assertAlmostEqual(lo, 0.07 - 12.7062 * 0.0141421 / 2 ** 0.5, places=3)
        self.assertAlmostEqual(hi, 0.07 + 12.7062 * 0.0141421 / 2 ** 0.5, places=3)
        # The so baseline's λ is chosen on validation too (0.1-bansal: 0.87 > 0.835).
        so = [l for l in rows if "| test_acc |" in l and "| so norm:sum, lambda=0.1-bansal (chosen of 2) |" in l]
        self.assertEqual(len(so), 1, rows)
        self.assertNotIn("so norm:sum, lambda=0.01", md)
        csv_path = os.path.join(self.out, "rqe_brock_offdiag_vs_baselines.csv")
        self.assertTrue(os.path.exists(csv_path))
        with open(csv_path) as f:
            self.assertIn("mean_difference", f.readline())

    def test_one_seed_has_no_interval_and_builtins_get_no_section(self):
        runs = [r for r in self.rqe_runs() if r["name"].endswith("seed:1")]
        code, md, err = self.report(runs)
        self.assertEqual(code, 0, err)
        row = [l for l in md.splitlines() if "| test_acc |" in l and "| none |" in l][0]
        self.assertTrue(row.rstrip().endswith("| — |"), row)
        self.assertNotIn("so against the baselines", md)
        # Only built-in methods: no such section at all.
        code, md, err = self.report([r for r in self.rqe_runs()
                                     if "brock_offdiag" not in r["name"]])
        self.assertNotIn("against the baselines", md)

    def test_builtin_list_comes_from_one_swappable_function(self):
        names = [r["name"] for r in self.rqe_runs()]
        self.assertEqual(methods.user_methods(names), [("reg", "brock_offdiag")])
        b = method_select.builtin_methods()
        b["reg"].add("brock_offdiag")
        self.assertEqual(methods.user_methods(names, b), [])

    def test_perf_costs_get_no_comparison(self):
        runs = self.rqe_runs() + [entry(f"PERF/penalty/reg:{r}/n:128", gflops=1.0)
                                  for r in ("so", "brock_offdiag")]
        code, md, err = self.report(runs)
        self.assertIn("## brock_offdiag against the baselines — RQE", md)
        self.assertNotIn("against the baselines — PERF", md)

    def test_no_baseline_and_failed_runs_are_said(self):
        runs = [r for r in self.rqe_runs() if "brock_offdiag" in r["name"]]
        runs[0] = dict(runs[0], error_occurred=True, error_message="diverged setup")
        code, md, err = self.report(runs)
        self.assertIn("1 run(s) of brock_offdiag in RQE failed", md)
        self.assertIn("No pair to compare", md)


if __name__ == "__main__":
    unittest.main()
