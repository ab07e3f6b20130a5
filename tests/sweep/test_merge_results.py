"""reports/merge_results.py in run-log mode, on hand-written logs: the latest attempt of a run
wins, entries follow the selection, non-finite numbers come back as floats, torn lines and runs
outside the selection are dropped, unfinished runs are listed and make the exit status 1."""
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MERGE = os.path.join(ROOT, "reports", "merge_results.py")


def run(name, steps, error=None, label=None, **extra):
    r = {"name": name + "/iterations:1", "run_name": name + "/iterations:1",
         "run_type": "iteration", "family_index": 7, "per_family_instance_index": 0,
         "repetitions": 1, "repetition_index": 0, "threads": 1, "iterations": 1,
         "real_time": 1.5, "cpu_time": 1.0, "time_unit": "s", "steps_to_target": steps}
    if error:
        r["error_occurred"] = True
        r["error_message"] = error
    if label is not None:
        r["label"] = label
    r.update(extra)
    return json.dumps(r)


class MergeRunLogs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        os.makedirs(os.path.join(self.d, "runs"))
        os.makedirs(os.path.join(self.d, "selection"))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, lines, end="\n"):
        with open(os.path.join(self.d, rel), "w") as f:
            f.write("\n".join(lines) + end)

    def merge(self):
        out = os.path.join(self.d, "results.json")
        p = subprocess.run([sys.executable, MERGE, "--out", out, "--profile", "quick",
                            "--shard", "1/3", "--filter", "^A/",
                            "--datasets", os.path.join(self.d, "datasets.jsonl"),
                            "--runs", os.path.join(self.d, "runs"),
                            "--selection", os.path.join(self.d, "selection")],
                           capture_output=True, text=True)
        with open(out) as f:
            return p.returncode, p.stderr, json.load(f)

    def test_latest_attempt_selection_order_and_non_finite(self):
        self.write("selection/bench_a.txt", ["A/x/seed:1", "A/x/seed:2", "A/x/seed:3"])
        self.write("selection/bench_b.txt", ["B/y/seed:1"])
        self.write("runs/bench_a.jsonl", [
            json.dumps({"context": {"profile": "quick", "date": "old"}}),
            run("A/x/seed:3", 30),
            run("A/x/seed:1", 0, error="data missing"),
            run("Z/outside/seed:1", 5),
            json.dumps({"context": {"profile": "quick", "date": "new"}}),
            run("A/x/seed:1", 10, label="NaN", loss="NaN", top="Infinity", low="-Infinity"),
            run("A/x/seed:2", 20),
            '{"name": "A/x/seed:4", "run_na',  # torn by a kill
        ], end="")
        self.write("runs/bench_b.jsonl", [json.dumps({"context": {"date": "b"}}),
                                          run("B/y/seed:1", 40)])
        self.write("datasets.jsonl", ['{"dataset": "mnist", "files": "10k"}'])
        rc, err, d = self.merge()
        self.assertEqual(rc, 0, err)
        names = [b["name"] for b in d["benchmarks"]]
        self.assertEqual(names, ["A/x/seed:1", "A/x/seed:2", "A/x/seed:3", "B/y/seed:1"])
        first = d["benchmarks"][0]
        self.assertEqual(first["steps_to_target"], 10)
        self.assertNotIn("error_occurred", first)
        self.assertTrue(math.isnan(first["loss"]))
        self.assertEqual(first["top"], math.inf)
        self.assertEqual(first["low"], -math.inf)
        self.assertEqual(first["label"], "NaN")  # text stays text
        self.assertEqual(first["run_name"], "A/x/seed:1")
        self.assertNotIn("family_index", first)
        c = d["context"]
        self.assertEqual(c["date"], "new")
        self.assertEqual(c["shard"], "1/3")
        self.assertEqual(c["filter"], "^A/")
        self.assertEqual(c["runs_expected"], 4)
        self.assertEqual(c["runs_missing"], [])
        self.assertEqual(c["datasets"], {"mnist": {"description": "10k", "files": []}})
        self.assertIn("outside this selection", err)

    def test_unfinished_and_failed_runs_fail_the_merge(self):
        self.write("selection/bench_a.txt", ["A/x/seed:1", "A/x/seed:2"])
        self.write("runs/bench_a.jsonl", [run("A/x/seed:1", 0, error="bad setting")])
        rc, err, d = self.merge()
        self.assertEqual(rc, 1)
        self.assertEqual(d["context"]["runs_missing"], ["A/x/seed:2"])
        self.assertTrue(d["benchmarks"][0]["error_occurred"])
        self.assertIn("rerun with --resume", err)
        self.assertIn("run failed: A/x/seed:1", err)



class MergeDatasetDigests(unittest.TestCase):
    """context["datasets"]: the files the runs noted, each with the md5 of its decompressed
    bytes (a raw file and a two-member gzip of the same bytes have one digest)."""
    setUp, tearDown = MergeRunLogs.setUp, MergeRunLogs.tearDown
    write, merge = MergeRunLogs.write, MergeRunLogs.merge

    def test_digest_of_decompressed_bytes_per_file(self):
        raw = bytes(range(256)) * 40
        with open(os.path.join(self.d, "t10k-labels.idx1-ubyte"), "wb") as f:
            f.write(raw)
        with open(os.path.join(self.d, "train.gz"), "wb") as f:  # two members, as `cat a b`
            f.write(gzip.compress(raw[:1000]) + gzip.compress(raw[1000:]))
        want = hashlib.md5(raw).hexdigest()
        gone = os.path.join(self.d, "moved-away.gz")
        note = lambda desc, files: json.dumps({"dataset": "mnist", "files": desc, "sources": [
            {"role": r, "path": os.path.join(self.d, p), "samples": n} for r, p, n in files]})
        self.write("selection/bench_a.txt", ["A/x/seed:1"])
        self.write("runs/bench_a.jsonl", [run("A/x/seed:1", 10)])
        self.write("datasets.jsonl", [
            note("first family", [("train images", "train.gz", 60000)]),
            note("second family", [("train images", "train.gz", 60000),
                                   ("test labels", "t10k-labels.idx1-ubyte", 10000),
                                   ("test images", gone, 10000)])])
        rc, err, d = self.merge()
        self.assertEqual(rc, 0, err)
        ds = d["context"]["datasets"]["mnist"]
        self.assertEqual(ds["description"], "second family")
        files = ds["files"]
        self.assertEqual([f["role"] for f in files], ["train images", "test labels", "test images"])
        self.assertEqual(files[0], {"role": "train images",
                                    "path": os.path.join(self.d, "train.gz"),
                                    "samples": 60000, "md5": want})
        self.assertEqual(files[1]["md5"], want)
        self.assertEqual(files[1]["samples"], 10000)
        self.assertIsNone(files[2]["md5"])
        self.assertIn("No such file", files[2]["md5_error"])
        self.assertIn(f"cannot read {gone} for its digest", err)

    def test_runs_that_read_different_data_are_flagged(self):
        # A sweep resumed with another ISOBENCH_DATA_DIR: one role, two contents.
        for name, content in (("a.gz", b"one"), ("b.gz", b"two")):
            with open(os.path.join(self.d, name), "wb") as f:
                f.write(gzip.compress(content))
        note = lambda p: json.dumps({"dataset": "mnist", "files": "d", "sources": [
            {"role": "train images", "path": os.path.join(self.d, p), "samples": 1}]})
        self.write("selection/bench_a.txt", ["A/x/seed:1"])
        self.write("runs/bench_a.jsonl", [run("A/x/seed:1", 10)])
        self.write("datasets.jsonl", [note("a.gz"), note("b.gz")])
        rc, err, d = self.merge()
        self.assertEqual(rc, 1, err)
        c = d["context"]
        self.assertFalse(c["complete"])
        self.assertEqual(len(c["dataset_conflicts"]), 1)
        self.assertIn("mnist train images", c["dataset_conflicts"][0])
        self.assertIn("MIXED DATA", err)


if __name__ == "__main__":
    unittest.main()
