"""Unit tests of the sweep protocol's decisions (sweep/isobench_sweep, docs/SWEEPS.md), without
the C++ binaries: the sharding split, --shard parsing, the resume stamp and its refusals, a
half-finished run log (the crashed run, its failure record, the merge of an interrupted attempt
and its resume), crash restart with a stand-in binary, merges that refuse duplicated and missing
shards, and a write failure named with its file and reason."""
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "sweep"))

from isobench_sweep import bench, crash, merge_runs, merge_shards, resume  # noqa: E402
from isobench_sweep import runlog, selection, sharding, write_checks  # noqa: E402
from isobench_sweep.binaries import Runner  # noqa: E402
from isobench_sweep.messages import Die  # noqa: E402

FAKE = os.path.join(HERE, "fake_bench.py")


def record(name, **extra):
    r = {"name": name + "/iterations:1", "run_name": name + "/iterations:1",
         "run_type": "iteration", "repetitions": 1, "repetition_index": 0, "threads": 1,
         "iterations": 1, "real_time": 1.0, "cpu_time": 1.0, "time_unit": "s"}
    r.update(extra)
    return json.dumps(r)


def load(path):
    with open(path) as f:
        return json.load(f)


def quiet(fn, *args, **kw):
    """(result, stderr text) of fn(*args, **kw)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        result = fn(*args, **kw)
    return result, err.getvalue()


class Tmp(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="isobench_sweep_unit_")

    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

    def write(self, rel, text):
        p = os.path.join(self.d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        return p


class Sharding(unittest.TestCase):
    NAMES = [f"RQB/mlp/depth:{d}/lr:{lr}/seed:{s}" for d in (2, 8) for lr in (0.125, 0.5)
             for s in (1, 2, 3)]

    def test_hash_pinned_and_same_constants_as_the_binaries(self):
        # FNV-1a's loop with the project's offset basis (one digit short of the published
        # 14695981039346656037): pinned, since it decides every shard.
        self.assertEqual(sharding.name_hash(""), 1469598103934665603)
        self.assertEqual(sharding.name_hash("a"), 0x44bd8ad473cd9906)
        self.assertEqual(sharding.name_hash("RQB/mlp/seed:1"), 0x1b5334f4c96cc541)
        with open(os.path.join(ROOT, "lib", "src", "core", "rng.cpp")) as f:
            src = f.read()  # text_hash: the binaries' name_hash and every run's seed
        body = src[src.index("std::uint64_t text_hash("):][:300]
        self.assertIn(f"h = {sharding.FNV_OFFSET}ull;", body)
        self.assertIn(f"h *= {sharding.FNV_PRIME}ull;", body)

    def test_parts_disjoint_covering_and_ordered(self):
        for k in (1, 2, 3, 7):
            parts = [sharding.part(self.NAMES, i, k) for i in range(k)]
            flat = [n for p in parts for n in p]
            self.assertEqual(sorted(flat), sorted(self.NAMES), k)
            self.assertEqual(len(flat), len(set(flat)), k)
            for p in parts:  # each part keeps the selection's order
                self.assertEqual(p, [n for n in self.NAMES if n in p])
        self.assertEqual(sharding.part(self.NAMES, 0, 1), self.NAMES)

    def test_parse(self):
        self.assertEqual(sharding.parse("2/5"), (2, 5))
        for bad, why in (("5/5", "need 0 <= I < K"), ("0/0", "need 0 <= I < K"),
                         ("1-3", "expected I/K"), ("a/3", "expected I/K"), ("", "expected I/K")):
            with self.assertRaises(ValueError) as e:
                sharding.parse(bad)
            self.assertIn(f"bad --shard '{bad}' ({why}", str(e.exception))
        self.assertEqual(sharding.parse_recorded(None), (0, 1))
        self.assertIsNone(sharding.parse_recorded("3/3"))


class Options(unittest.TestCase):
    def test_shard_mode_needs_a_shard(self):
        with self.assertRaises(Die) as e:
            bench.parse(["--shard-mode", "hash"])
        self.assertIn("--shard-mode needs --shard I/K", str(e.exception))

    def test_flags_and_errors(self):
        o = bench.parse(["--profile=paper", "--filter", "^A/", "--shard", "1/2", "--resume",
                         "--no-build", "--no-report", "--method=cayley"])
        self.assertEqual((o.profile, o.filter, o.shard, o.method),
                         ("paper", "^A/", "1/2", "cayley"))
        self.assertTrue(o.resume and not o.build and not o.report and not o.list)
        for args, msg in ((["--frob"], "bench: unknown option '--frob' (see ./isobench help)"),
                          (["--filter"], "--filter needs a value"),
                          (["--profile", "big"], "bad --profile 'big' (expected quick or paper)"),
                          (["--shard", "3/3"], "bad --shard '3/3' (need 0 <= I < K)"),
                          (["--list=1"], "bench: unknown option '--list=1'")):
            with self.assertRaises(Die) as e:
                bench.parse(args)
            self.assertIn(msg, str(e.exception))


class Resume(Tmp):
    ENV = {"ISOBENCH_DATA_DIR": "/data/../data/x", "ISOBENCH_LR_SCALE": "0.5"}

    def test_stamp_and_refusals(self):
        self.write("runs/sweep.txt", resume.stamp_text("quick", "v1", self.ENV))
        with open(os.path.join(self.d, "runs/sweep.txt")) as f:
            text = f.read()
        self.assertIn("env:ISOBENCH_DATA_DIR=/data/x\n", text)  # paths resolved
        self.assertIn("env:ISOBENCH_EMBEDDINGS=\n", text)       # unset: recorded empty
        quiet(resume.check, self.d, "quick", "v1", {"ISOBENCH_DATA_DIR": "/data/x",
                                                     "ISOBENCH_LR_SCALE": "0.5"})
        with self.assertRaises(Die) as e:
            resume.check(self.d, "paper", "v1", self.ENV)
        self.assertIn("holds a 'quick' sweep; resume it with --profile quick", str(e.exception))
        with self.assertRaises(Die) as e:
            resume.check(self.d, "quick", "v1", dict(self.ENV, ISOBENCH_LR_SCALE="1"))
        self.assertIn("began with ISOBENCH_LR_SCALE='0.5', now it is '1'", str(e.exception))
        _, err = quiet(resume.check, self.d, "quick", "v2", self.ENV)
        self.assertIn("warning: --resume: the finished runs", err)

    def test_fresh_start_removes_only_the_sweeps_outputs(self):
        for rel in ("runs/a.jsonl", "selection/a.txt", "traces/t.jsonl", "parts/p.json",
                    "datasets.jsonl", "results.json", "report.md"):
            self.write(rel, "x")
        resume.fresh_start(self.d)
        self.assertEqual(sorted(os.listdir(self.d)), ["report.md"])

    def test_a_shard_stamped_before_shard_modes_resumes_as_hash(self):
        out = os.path.join(self.d, "old")
        self.write("old/runs/sweep.txt", "profile=quick\nversion=v1\n")
        resume.check(out, "quick", "v1", environ={}, split={"shard_mode": "hash"})
        resume.check(out, "quick", "v1", environ={})  # unsharded, as it may have been
        with self.assertRaises(Die) as e:
            resume.check(out, "quick", "v1", environ={},
                         split={"shard_mode": "balanced", "cost_table": "abc"})
        self.assertIn("was split with shard_mode 'hash', now it would be 'balanced'",
                      str(e.exception))

    def test_a_balanced_shard_resumes_only_with_the_same_split(self):
        out = os.path.join(self.d, "bal")
        split = {"shard": "1/4", "shard_mode": "balanced", "cost_table": "t1",
                 "cost_mnist": "10k", "shard_selection": "s1"}
        self.write("bal/runs/sweep.txt", resume.stamp_text("quick", "v1", {}, split))
        resume.check(out, "quick", "v1", environ={}, split=dict(split))
        for key, value, says in (("cost_mnist", "full", "the MNIST present"),
                                 ("cost_table", "t2", "the cost table"),
                                 ("shard", "0/4", "resume it with --shard 1/4"),
                                 ("shard_mode", "hash", "resume it with --shard-mode balanced")):
            with self.assertRaises(Die) as e:
                resume.check(out, "quick", "v1", environ={}, split=dict(split, **{key: value}))
            self.assertIn(says, str(e.exception))
        with self.assertRaises(Die) as e:
            resume.check(out, "quick", "v1", environ={})
        self.assertIn("is shard 1/4 (balanced split); resume it with the same --shard",
                      str(e.exception))

    def test_resume_command(self):
        cmd = resume.command("/o ut", ["--filter", "^RQB/.*", "--resume", "--no-report"],
                             {"ISOBENCH_DATA_DIR": "/d", "ISOBENCH_BLAS_THREADS": "1"})
        self.assertEqual(cmd, "ISOBENCH_OUT='/o ut' ISOBENCH_DATA_DIR=/d ISOBENCH_BLAS_THREADS=1 "
                              "./isobench bench --filter '^RQB/.*' --no-report --resume")


class HalfFinishedLog(Tmp):
    PLANNED = ["A/r:0/seed:1", "A/r:1/seed:1", "A/r:2/seed:1"]

    def test_crashed_run_after_the_attempts_start(self):
        # An earlier attempt recorded r:1; this attempt (from line 2) finished r:0, then crashed
        # mid-line in r:1.
        log = self.write("runs/bench_a.jsonl", record("A/r:1/seed:1") + "\n"
                         + '{"context": {}}\n' + record("A/r:0/seed:1") + "\n" + '{"name": "A/r:1')
        crashed, finished = runlog.crashed_run(log, 1, self.PLANNED)
        self.assertEqual((crashed, finished), ("A/r:1/seed:1", ["A/r:0/seed:1"]))
        self.assertTrue(runlog.mark_crashed(log, crashed, 6))
        with open(log) as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[-1], "")                        # ends with a whole line
        self.assertEqual(lines[-3], '{"name": "A/r:1')         # the torn line left alone
        rec = json.loads(lines[-2])
        self.assertEqual(rec["error_message"], "the binary crashed (signal 6) during this run")
        self.assertEqual(runlog.crashed_run(log, 0, self.PLANNED)[0], "A/r:2/seed:1")

    def merge(self, out="results.json"):
        return quiet(merge_runs.merge, os.path.join(self.d, out), "quick", "", "^A/",
                     os.path.join(self.d, "runs"), os.path.join(self.d, "selection"), "")

    def test_interrupted_then_resumed_equals_clean(self):
        self.write("selection/bench_a.txt", "".join(n + "\n" for n in self.PLANNED))
        self.write("runs/bench_a.jsonl", '{"context": {"profile": "quick"}}\n'
                   + record("A/r:1/seed:1", steps=5, family_index=3) + "\n" + '{"name": "A/r')
        rc, err = self.merge()
        self.assertEqual(rc, 1)
        self.assertIn("2 selected run(s) have no result (A/r:0/seed:1, A/r:2/seed:1)", err)
        c = load(os.path.join(self.d, "results.json"))["context"]
        self.assertEqual((c["runs_missing"], c["complete"]),
                         (["A/r:0/seed:1", "A/r:2/seed:1"], False))
        # The resumed attempt appends the rest (and a retry of r:1, whose latest record wins).
        with open(os.path.join(self.d, "runs/bench_a.jsonl"), "a") as f:
            f.write("\n" + '{"context": {"profile": "quick"}}\n' + "".join(
                record(n, steps=5, family_index=0) + "\n" for n in self.PLANNED))
        rc, err = self.merge()
        self.assertEqual(rc, 0, err)
        d = load(os.path.join(self.d, "results.json"))
        self.assertEqual([b["name"] for b in d["benchmarks"]], self.PLANNED)
        self.assertTrue(all("family_index" not in b for b in d["benchmarks"]))
        self.assertEqual((d["context"]["runs_missing"], d["context"]["complete"]), ([], True))


class CrashRestart(Tmp):
    def run_fake(self, **env):
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            log = os.path.join(self.d, "bench_f.jsonl")
            result, err = quiet(crash.run_with_restarts, Runner(), FAKE, "bench_f",
                                [f"--isobench_runlog={log}", "--isobench_resume"], log)
            return result, err, runlog.read_lines(log)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def test_crash_fails_the_run_in_flight_and_restarts_without_it(self):
        result, err, recs = self.run_fake(FAKE_CRASH="F/r:1/seed:1")
        self.assertEqual(result, crash.FAILED)
        self.assertIn("bench_f CRASHED (signal 6, SIGABRT) during F/r:1/seed:1: that run is marked "
                      "failed; restarting bench_f with the runs left", err)
        runs = [(r["run_name"].replace("/iterations:1", ""), bool(r.get("error_occurred")))
                for r in recs if "run_name" in r]
        self.assertEqual(runs, [("F/r:0/seed:1", False), ("F/r:1/seed:1", True),
                                ("F/r:2/seed:1", False)])

    def test_a_skip_that_does_not_take_gives_up(self):
        result, err, recs = self.run_fake(FAKE_CRASH="F/r:1/seed:1", FAKE_IGNORE_SKIP="1")
        self.assertEqual(result, crash.FAILED)
        self.assertIn("bench_f crashed again during F/r:1/seed:1, which it was told to skip; "
                      "giving up on bench_f's remaining runs", err)

    def test_exit_status_3_is_a_write_failure(self):
        result, err, _ = self.run_fake(FAKE_EXIT="3")
        self.assertEqual(result, crash.WRITE_FAILED)
        self.assertIn("bench_f could not write some of its outputs", err)
        result, err, _ = self.run_fake(FAKE_EXIT="2")  # resumed: nothing left, so no run at all
        self.assertEqual(result, crash.OK)


class StandIn(Tmp):
    """`sweep.py bench` end to end on the stand-in binary (bench_f -> fake_bench.py): the helper
    (no tests here, so modules that subclass it do not run these tests again)."""

    def bench(self, *args, command="bench", binaries=("bench_f",), stdout=None, **env):
        import subprocess
        bins = os.path.join(self.d, "bin")
        os.makedirs(bins, exist_ok=True)
        for b in binaries:
            if not os.path.lexists(os.path.join(bins, b)):
                os.symlink(FAKE, os.path.join(bins, b))
        e = dict(os.environ, ISOBENCH_BENCH_DIR=bins, ISOBENCH_OUT=os.path.join(self.d, "out"),
                 ISOBENCH_JOBS="1")  # serial unless a test asks for --jobs
        e.update(env)
        out = {"capture_output": True} if stdout is None else {"stdout": stdout,
                                                               "stderr": subprocess.PIPE}
        return subprocess.run([sys.executable, os.path.join(ROOT, "sweep", "sweep.py"), command,
                               *args], cwd=ROOT, env=e, text=True, **out)



class BenchWithStandIn(StandIn):
    def test_shard_resume_and_results(self):
        p = self.bench("--shard", "1/2", "--shard-mode", "hash", "--no-report")
        self.assertEqual(p.returncode, 0, p.stderr)
        names = [n for n in (f"F/r:{i}/seed:1" for i in range(3)) if sharding.name_hash(n) % 2 == 1]
        with open(os.path.join(self.d, "out", "results.json")) as f:
            d = json.load(f)
        self.assertEqual([b["name"] for b in d["benchmarks"]], names)
        self.assertEqual(d["context"]["shard"], "1/2")
        self.assertEqual(d["context"]["sweep_order"], [f"F/r:{i}/seed:1" for i in range(3)])
        p = self.bench("--shard", "1/2", "--shard-mode", "hash", "--no-report", "--resume")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"bench_f: all {len(names)} runs already finished", p.stderr)
        self.assertEqual(d["context"]["shard_mode"], "hash")
        # The split is part of the sweep's identity: --resume refuses another.
        table = self.write("costs.json", json.dumps({"format": 1, "families": {}, "measured": {
            "quick": {f"F/r:{i}/seed:1": 1.0 for i in range(3)}}}))
        p = self.bench("--shard", "1/2", "--no-report", "--resume", ISOBENCH_COSTS=table)
        self.assertEqual(p.returncode, 1)
        self.assertIn("was split with shard_mode 'hash', now it would be 'balanced'", p.stderr)

    def test_a_binary_sharding_otherwise_is_stopped_before_the_output_is_touched(self):
        earlier = {rel: self.write(rel, "an earlier sweep's\n") for rel in
                   ("out/results.json", "out/runs/bench_f.jsonl", "out/selection/bench_f.txt")}
        p = self.bench("--shard", "0/2", "--shard-mode", "hash", "--no-report",
                       binaries=("bench_a", "bench_f"), FAKE_BAD_SHARD="1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("bench_a: its shard 0/2", p.stderr)
        self.assertIn("is not the part of its selection that the name hash assigns", p.stderr)
        self.assertIn("was left as it was", p.stderr)
        self.assertNotIn("[1/2]", p.stderr)  # nothing ran
        for path in earlier.values():
            with open(path) as f:
                self.assertEqual(f.read(), "an earlier sweep's\n", path)

    def test_list_into_a_closed_pipe_is_quiet_with_sigpipes_status(self):
        r, w = os.pipe()
        os.close(r)  # `| head -1` that has gone: the first write fails with EPIPE
        try:
            p = self.bench("--no-build", "--list", stdout=w)
        finally:
            os.close(w)
        self.assertEqual(p.returncode, 141, p.stderr)
        self.assertEqual(p.stderr, "")

    def test_an_output_directory_that_cannot_be_made_is_named(self):
        self.write("plain_file", "")
        p = self.bench("--no-report", ISOBENCH_OUT=os.path.join(self.d, "plain_file", "out"))
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn(f"isobench: error: cannot create the output directory "
                      f"{self.d}/plain_file/out: {self.d}/plain_file/out: Not a directory; set "
                      f"ISOBENCH_OUT to a directory you can write", p.stderr)

    def test_a_stamp_that_cannot_be_written_is_named(self):
        # runs/ a symlink (fresh_start's rmtree leaves it), its sweep.txt on a full disk.
        os.makedirs(os.path.join(self.d, "out", "elsewhere"))
        os.symlink("elsewhere", os.path.join(self.d, "out", "runs"))
        os.symlink("/dev/full", os.path.join(self.d, "out", "elsewhere", "sweep.txt"))
        p = self.bench("--no-report")
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn("isobench: error: cannot prepare the sweep in", p.stderr)
        self.assertIn("No space left on device; nothing ran", p.stderr)
        self.assertNotIn("[1/1]", p.stderr)

    def test_a_selection_file_that_cannot_be_written_fails_that_binary_only(self):
        long_name = "bench_a" + "x" * 245  # a valid file name; with ".txt" too long for one
        p = self.bench("--no-report", binaries=(long_name, "bench_f"))
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn(f"{long_name} could not list its runs: {self.d}/out/selection/{long_name}"
                      f".txt: File name too long; its runs are skipped", p.stderr)
        self.assertIn("[2/2] bench_f: 3 runs", p.stderr)
        self.assertIn("isobench: error: some runs failed", p.stderr)
        d = load(os.path.join(self.d, "out", "results.json"))
        self.assertEqual([b["name"] for b in d["benchmarks"]],
                         [f"F/r:{i}/seed:1" for i in range(3)])

    def test_report_of_an_input_that_looks_like_a_flag_cannot_merge(self):
        p = self.bench("-x", command="report")
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertIn(f"isobench: error: report: cannot merge into {self.d}/out", p.stderr)

    def test_python_steps_run_debians_python(self):
        # The report needs matplotlib: /usr/bin/python3, as the bash driver, not whichever
        # interpreter runs the package.
        from isobench_sweep import PYTHON
        self.assertEqual(PYTHON, "/usr/bin/python3")
        pkg = os.path.join(ROOT, "sweep", "isobench_sweep")
        for f in sorted(os.listdir(pkg)):
            if f.endswith(".py"):
                with open(os.path.join(pkg, f)) as fh:
                    self.assertNotIn("sys.executable", fh.read(), f)

    def test_empty_selection_leaves_the_output_alone(self):
        p = self.bench("--filter", "^NOTHING/", "--no-report")
        self.assertEqual(p.returncode, 1)
        self.assertIn("isobench: error: no run matches --filter '^NOTHING/'", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.d, "out")))

    def test_crash_is_reported_and_the_sweep_fails(self):
        p = self.bench("--no-report", FAKE_CRASH="F/r:2/seed:1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("bench_f CRASHED (signal 6, SIGABRT) during F/r:2/seed:1", p.stderr)
        self.assertIn("merge: run failed: F/r:2/seed:1", p.stderr)
        self.assertIn("isobench: error: some runs failed", p.stderr)


class ShardMerge(Tmp):
    def shard(self, rel, shard, names, **ctx):
        c = {"shard": shard, "profile": "quick", "filter": "", "date": "d", "runs_expected":
             len(names)}
        c.update(ctx)
        self.write(f"{rel}/results.json", json.dumps(
            {"context": c, "benchmarks": [{"name": n, "steps": 1} for n in names]}))
        return os.path.join(self.d, rel)

    def merge(self, *inputs):
        return quiet(merge_shards.main, ["--out", os.path.join(self.d, "out"), *inputs])

    def test_complete_merge(self):
        a, b = self.shard("s0", "0/2", ["X/a"]), self.shard("s1", "1/2", ["X/b"])
        rc, err = self.merge(a, b)
        self.assertEqual(rc, 0, err)
        c = load(os.path.join(self.d, "out/results.json"))["context"]
        self.assertEqual((c["merge_problems"], c["complete"], c["runs_expected"]), ([], True, 2))

    def test_refuses_missing_shards_and_duplicates(self):
        a = self.shard("s0", "0/3", ["X/a", "X/b"])
        b = self.shard("s1", "1/3", ["X/b"])
        rc, err = self.merge(a, b, a)
        self.assertEqual(rc, 1)
        self.assertIn("missing shard(s) 2/3 of 3", err)
        self.assertIn("shard 0/3 given twice", err)
        self.assertIn("1 run(s) already read from an earlier input (first copy kept): X/b", err)
        c = load(os.path.join(self.d, "out/results.json"))["context"]
        self.assertFalse(c["complete"])
        self.assertEqual(len(c["merge_problems"]), 4)  # and the copy of a: its runs read twice

    def test_output_among_inputs_is_bad_usage(self):
        a = self.shard("out", "0/1", ["X/a"])
        rc, err = self.merge(a)
        self.assertEqual(rc, 2)
        self.assertIn("is also an input", err)


class WriteChecks(Tmp):
    def test_failed_results_write_is_named_and_leaves_the_old_file(self):
        out = self.write("results.json", "old")
        os.symlink("/dev/full", out + ".tmp")  # the temporary file is on a full disk
        self.write("selection/bench_a.txt", "A/x\n")
        self.write("runs/bench_a.jsonl", record("A/x") + "\n")
        rc, err = quiet(merge_runs.merge, out, "quick", "", "", os.path.join(self.d, "runs"),
                        os.path.join(self.d, "selection"), "")
        self.assertEqual(rc, 3)
        self.assertIn(f"merge: cannot write {out}.tmp: No space left on device — {out} was left "
                      f"as it was", err)
        with open(out) as f:
            self.assertEqual(f.read(), "old")
        self.assertFalse(os.path.lexists(out + ".tmp"))

    def test_binary_write_failures_reach_the_context(self):
        self.write("selection/bench_a.txt", "A/x\nA/y\n")
        self.write("runs/bench_a.jsonl", record("A/x", write_errors=[
            {"path": "/t/A_x.jsonl", "reason": "File too large"}]) + "\n" + record("A/y") + "\n")
        self.write("runs/bench_a.jsonl.write_errors",
                   json.dumps({"path": "/r/bench_a.jsonl",
                               "reason": "No space left on device"}) + "\n")
        self.write("selection/bench_b.txt", "B/z\n")
        self.write("runs/bench_b.jsonl", record("B/z") + "\n")
        out = os.path.join(self.d, "results.json")
        rc, err = quiet(merge_runs.merge, out, "quick", "", "", os.path.join(self.d, "runs"),
                        os.path.join(self.d, "selection"), "", ["bench_b"])
        self.assertEqual(rc, 1)
        c = load(out)["context"]
        self.assertEqual(c["write_errors"], [
            {"path": "/t/A_x.jsonl", "reason": "File too large", "run": "A/x"},
            {"path": "/r/bench_a.jsonl", "reason": "No space left on device"},
            {"path": "bench_b", "reason": "a write failed (exit status 3) and could not be "
                                          "recorded; see its messages on stderr"}])
        self.assertIs(c["complete"], False)
        self.assertIn("merge: not written: /t/A_x.jsonl: File too large (run A/x)", err)

    def test_replace_file(self):
        p = os.path.join(self.d, "f")
        def put(t):
            with open(t, "w") as f:
                f.write("x")
        self.assertIsNone(write_checks.replace_file(p, put))
        with open(p) as f:
            self.assertEqual(f.read(), "x")
        err = write_checks.replace_file(os.path.join(self.d, "no/dir/f"), put)
        self.assertIn("no/dir/f.tmp: No such file or directory", err)


class SharedWithTheReport(unittest.TestCase):
    """One implementation of what both the sweep and the report read: a run's trace file, a
    recorded shard, the shards a set of inputs lacks; one path setup per package."""

    def test_absent_shards(self):
        self.assertEqual(sharding.absent([(1, 3), (0, 2), (1, 2), (1, 3)]), {3: [0, 2], 2: []})
        self.assertEqual(sharding.absent([]), {})

    def test_the_report_and_the_merge_use_the_protocols_rules(self):
        from isobench_report import inputs
        from isobench_sweep import traces
        self.assertEqual(traces.sanitize("RQB/mlp/lr:0.5/seed:1 x"), "RQB_mlp_lr_0.5_seed_1_x")
        self.assertIs(inputs.sanitize, traces.sanitize)
        self.assertIs(merge_shards.sanitize, traces.sanitize)
        self.assertIs(inputs.parse_recorded, sharding.parse_recorded)
        self.assertIs(inputs.absent, sharding.absent)

    def test_one_path_setup_per_package(self):
        pkg = os.path.join(ROOT, "sweep", "isobench_sweep")
        for f in sorted(os.listdir(pkg)):
            if f.endswith(".py") and f != "__init__.py":
                with open(os.path.join(pkg, f)) as fh:
                    self.assertIsNone(re.search(r"sys\.path\.(insert|append)", fh.read()), f)


class Style(unittest.TestCase):
    def test_no_line_over_100_columns(self):
        # The protocol's Python and its Python tests (the shell tests are not wrapped yet).
        for top in ("sweep", os.path.join("tests", "sweep")):
            for d, _, files in os.walk(os.path.join(ROOT, top)):
                for f in (f for f in files if f.endswith(".py")):
                    with open(os.path.join(d, f), encoding="utf-8") as fh:
                        for n, line in enumerate(fh, 1):
                            self.assertLessEqual(len(line.rstrip("\n")), 100, f"{d}/{f}:{n}")


class MethodSelection(unittest.TestCase):
    NAMES = ["RQD/mlp/init:orthogonal/constraint:none/seed:1",
             "RQD/mlp/init:orthogonal/constraint:cayley/seed:1",
             "RQD/mlp/init:orthogonal/constraint:cayley/seed:2",
             "RQD/mlp/init:orthogonal/constraint:none/seed:2"]

    def test_method_runs_with_baselines_within_filter(self):
        self.assertEqual(selection.method_runs(self.NAMES, "cayley"), self.NAMES)
        self.assertEqual(selection.method_runs(self.NAMES, "cayley", self.NAMES[:2], "seed:1"),
                         self.NAMES[:2])
        with self.assertRaises(selection.NoSelection) as e:
            selection.method_runs(self.NAMES, "cayley", [], "^NONE/")
        self.assertEqual(str(e.exception), "none of the 4 runs of --method cayley (with its "
                                           "baselines) matches --filter '^NONE/'")
        with self.assertRaises(selection.NoSelection) as e:
            selection.method_runs(self.NAMES, "polar")
        self.assertIn("--method polar: no run uses the method 'polar'", str(e.exception))


if __name__ == "__main__":
    unittest.main()


class DriverHelp(Tmp):
    """`./isobench COMMAND --help` prints the usage and exits 0 without doing the command (a
    report --help once merged and reported $ISOBENCH_OUT and exited 1)."""

    def test_help_of_each_command_does_nothing_else(self):
        import subprocess
        out = os.path.join(self.d, "out")
        env = dict(os.environ, ISOBENCH_OUT=out)
        for cmd in ("bench", "report", "test", "methods", "build", "deps"):
            for flag in ("--help", "-h"):
                p = subprocess.run([os.path.join(ROOT, "isobench"), cmd, flag], env=env,
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, f"{cmd} {flag}: {p.stderr}")
                self.assertIn("usage: ./isobench COMMAND", p.stdout, f"{cmd} {flag}")
                self.assertFalse(os.path.exists(out), f"{cmd} {flag} wrote {out}")
