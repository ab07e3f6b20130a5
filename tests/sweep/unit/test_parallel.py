"""Unit tests of --jobs (sweep/isobench_sweep/parallel.py) with the stand-in binary: the plan
(tasks of a few runs, longest first, PERF apart), a parallel sweep whose results equal a serial
one's, PERF alone after the others, the context's "jobs", a crash in a parallel task, progress
lines, captured output shown under its binary, and bad --jobs values named."""
import contextlib
import io
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))
sys.path.insert(0, HERE)

from isobench_sweep import parallel  # noqa: E402
from isobench_sweep.binaries import Runner  # noqa: E402
import test_protocol  # noqa: E402 (not its classes: unittest would run them here again)


class Plan(unittest.TestCase):
    def test_tasks_reach_the_chunk_cost_longest_first_and_perf_apart(self):
        cost = {"A/1": 0.5, "A/2": 0.5, "A/3": 3.0, "A/4": 0.25, "PERF/x": 1.0, "B/1": 1.5,
                "B/2": 1.5}
        tasks, alone = parallel.plan(
            [("d/bench_a", ["A/1", "A/2", "A/3", "A/4", "PERF/x"]), ("d/bench_b", ["B/1", "B/2"])],
            cost.get, chunk=2.0)
        # A/1+A/2+A/3 reach 2.0 at A/3; A/4 is bench_a's rest; B/1+B/2 = 3.0.
        self.assertEqual([t.runs for t in tasks], [["A/1", "A/2", "A/3"], ["B/1", "B/2"],
                                                   ["A/4"]])
        self.assertEqual([t.cost for t in tasks], [4.0, 3.0, 0.25])
        self.assertEqual([(t.name, t.runs, t.alone) for t in alone],
                         [("bench_a", ["PERF/x"], True)])

    def test_ties_keep_selection_order(self):
        tasks, _ = parallel.plan([("b1", ["x", "y"]), ("b2", ["z"])], lambda n: 5.0, chunk=2.0)
        self.assertEqual([t.runs for t in tasks], [["x"], ["y"], ["z"]])

    def test_durations(self):
        self.assertEqual([parallel.duration(s) for s in (5, 600, 9000)], ["5 s", "10 min", "2.5 h"])


class CapturedOutput(unittest.TestCase):
    def test_stderr_and_failed_runs_are_shown_under_the_binary(self):
        err = io.StringIO()
        script = ("import sys; print('table line'); print('X/1 ERROR OCCURRED: \\'boom\\''); "
                  "print('a warning', file=sys.stderr)")
        with contextlib.redirect_stderr(err):
            rc = Runner(capture=True).run([sys.executable, "-c", script, "--isobench_run=X/1"])
        self.assertEqual(rc, 0)
        text = err.getvalue()
        self.assertIn("said:\nX/1 ERROR OCCURRED: 'boom'\na warning\n", text)
        self.assertIn("(X/1)", text)
        self.assertNotIn("table line", text)


class ParallelSweep(test_protocol.StandIn):
    BINS = ("bench_f", "bench_g", "bench_perf")

    def results(self):
        with open(os.path.join(self.d, "out", "results.json")) as f:
            return json.load(f)

    def sweep(self, *args, **env):
        env.setdefault("FAKE_RUNS", "7")
        return self.bench("--no-report", *args, binaries=self.BINS, **env)

    def test_results_equal_a_serial_sweep_and_perf_runs_alone(self):
        p = self.sweep("--jobs", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        serial = self.results()
        p = self.sweep("--jobs", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        par = self.results()
        drop = ("pid", "jobs")
        def same(runs):
            return [{k: v for k, v in b.items() if k not in drop} for b in runs]

        self.assertEqual(same(serial["benchmarks"]), same(par["benchmarks"]))
        self.assertEqual(len(par["benchmarks"]), 21)
        self.assertEqual(serial["context"]["jobs"], "1")
        self.assertEqual(par["context"]["jobs"], "2")
        runs = par["benchmarks"]
        perf = [b for b in runs if b["name"].startswith("PERF/")]
        other = [b for b in runs if not b["name"].startswith("PERF/")]
        self.assertEqual({b["jobs"] for b in perf}, {1})  # alone
        self.assertEqual({b["jobs"] for b in other}, {2})
        self.assertEqual(len({b["pid"] for b in perf}), 1)  # one process for the binary's PERF runs
        self.assertGreater(len({b["pid"] for b in other}), 2)  # tasks of a few runs
        # PERF starts after every other task ended: its lines come last in the output.
        err = p.stderr
        self.assertIn("21 runs in 9 processes, 2 at a time", err)
        self.assertIn("the 7 PERF runs after them, alone", err)
        self.assertGreater(err.index("bench_perf: 7 PERF run(s) alone"),
                           err.rindex("bench_g ("))
        self.assertRegex(err, r"\[21/21 runs\] .*ETA 0 s")
        self.assertIn("peak memory of the runs in flight at once:", err)

    def test_a_crash_fails_its_run_only(self):
        p = self.sweep("--jobs", "2", FAKE_CRASH="F/r:3/seed:1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("CRASHED (signal 6, SIGABRT) during F/r:3/seed:1: that run is marked failed",
                      p.stderr)
        runs = {b["name"]: bool(b.get("error_occurred")) for b in self.results()["benchmarks"]}
        self.assertEqual(len(runs), 21)
        self.assertEqual([n for n, e in runs.items() if e], ["F/r:3/seed:1"])

    def test_resume_runs_what_is_left_in_parallel(self):
        p = self.sweep("--jobs", "2", "--filter", "r:[0-3]")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.sweep("--jobs", "2", "--resume")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 runs (of 7; the rest finished earlier)", p.stderr)
        self.assertEqual(len(self.results()["benchmarks"]), 21)

    def test_binaries_without_isobench_run_are_refused_before_anything_runs(self):
        p = self.sweep("--jobs", "2", FAKE_IGNORE_RUN="1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("bench_f does not run a single named run (--isobench_run): it was built "
                      "before --jobs and balanced shards; rebuild the binaries", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "out", "results.json")))

    def test_bad_jobs_are_named(self):
        for bad in ("0", "-1", "two", ""):
            p = self.bench("--jobs", bad, "--list")
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn(f"bad --jobs '{bad}' (expected a positive number", p.stderr)
        p = self.bench("--list", ISOBENCH_JOBS="many")
        self.assertIn("bad ISOBENCH_JOBS 'many'", p.stderr)


class BalancedShards(test_protocol.StandIn):
    """--shard I/K --shard-mode balanced (the default) with a cost table of the stand-in's runs
    ($ISOBENCH_COSTS): the parts are costs.balanced_parts of the whole selection, they cover it,
    the split is recorded and checked by the shard merge; --list ends with the estimate."""
    BINS = ("bench_f", "bench_g")

    def setUp(self):
        super().setUp()
        measured = {f"{fam}/r:{i}/seed:1": float(1 + (7 * i + len(fam)) % 5)
                    for fam in ("F", "G") for i in range(6)}
        self.table = os.path.join(self.d, "costs.json")
        with open(self.table, "w") as f:
            json.dump({"format": 1, "measured": {"quick": measured}, "families": {}}, f)

    def sweep(self, out, *args):
        return self.bench("--no-report", *args, binaries=self.BINS, FAKE_RUNS="6",
                          ISOBENCH_COSTS=self.table, ISOBENCH_OUT=os.path.join(self.d, out))

    def test_parts_are_the_cost_split_and_merge_back(self):
        sys.path.insert(0, os.path.join(test_protocol.ROOT, "sweep"))
        from isobench_sweep import costs
        table = costs.load(test_protocol.ROOT, "quick", path=self.table)
        everything = [f"{fam}/r:{i}/seed:1" for fam in ("F", "G") for i in range(6)]
        parts = costs.balanced_parts(everything, table, 3)
        got = []
        for i in range(3):
            p = self.sweep(f"s{i}", "--shard", f"{i}/3", "--jobs", "2")
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(self.d, f"s{i}", "results.json")) as f:
                d = json.load(f)
            self.assertEqual([b["name"] for b in d["benchmarks"]], parts[i])
            self.assertEqual(d["context"]["shard"], f"{i}/3")
            self.assertEqual(d["context"]["shard_mode"], "balanced")
            self.assertEqual(d["context"]["cost_table"], table.digest)
            got += parts[i]
        self.assertEqual(sorted(got), sorted(everything))
        p = self.bench(*[os.path.join(self.d, f"s{i}") for i in range(3)], command="report",
                       ISOBENCH_OUT=os.path.join(self.d, "merged"))
        self.assertNotIn("split with", p.stderr)
        with open(os.path.join(self.d, "merged", "results.json")) as f:
            merged = json.load(f)
        self.assertEqual([b["name"] for b in merged["benchmarks"]], everything)
        self.assertEqual(merged["context"]["merge_problems"], [])

    def test_shards_split_otherwise_are_a_merge_problem(self):
        self.assertEqual(self.sweep("a", "--shard", "0/2").returncode, 0)
        self.assertEqual(self.sweep("b", "--shard", "1/2", "--shard-mode", "hash").returncode, 0)
        p = self.bench(os.path.join(self.d, "a"), os.path.join(self.d, "b"), command="report",
                       ISOBENCH_OUT=os.path.join(self.d, "merged"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("its shard was split with shard_mode 'hash'", p.stderr)

    def test_list_prints_the_estimate_on_stderr(self):
        p = self.sweep("l", "--list", "--jobs", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.split()), 12)  # the names only
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        self.assertTrue(lines and all(line.startswith("# ") for line in lines), lines)
        self.assertIn("# estimated wall time at --jobs 2:", p.stderr)

    def test_a_run_without_estimate_is_refused_for_a_balanced_split(self):
        p = self.bench("--no-report", "--shard", "0/2", binaries=self.BINS, FAKE_RUNS="7",
                       ISOBENCH_COSTS=self.table)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--shard-mode balanced: no cost estimate for run 'F/r:6/seed:1'", p.stderr)
        self.assertIn("--shard-mode hash", p.stderr)


if __name__ == "__main__":
    unittest.main()
