"""Write errors in reports/merge_results.py and reports/merge_shards.py (issue 18, "Writes"):
what the binaries could not write (run records' "write_errors", the side file
runs/BIN.jsonl.write_errors, --write-failed BIN) lands in context["write_errors"] with
complete: false and exit 1; a results.json that cannot be written (its temporary file is a
symlink to /dev/full) is named with the system's reason and leaves the earlier file as it was."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MERGE = os.path.join(ROOT, "reports", "merge_results.py")
SHARDS = os.path.join(ROOT, "reports", "merge_shards.py")


def load(path):
    with open(path) as f:
        return json.load(f)


def run(name, **extra):
    r = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
         "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": 1.0,
         "cpu_time": 1.0, "time_unit": "s", "steps_to_target": 5}
    r.update(extra)
    return json.dumps(r)


class WriteErrors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        for sub in ("runs", "selection"):
            os.makedirs(os.path.join(self.d, sub))
        self.out = os.path.join(self.d, "results.json")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, lines):
        with open(os.path.join(self.d, rel), "w") as f:
            f.write("\n".join(lines) + "\n")

    def merge(self, *extra):
        return subprocess.run([sys.executable, MERGE, "--out", self.out, "--runs",
                               os.path.join(self.d, "runs"), "--selection",
                               os.path.join(self.d, "selection"), *extra],
                              capture_output=True, text=True)

    def test_clean_sweep_is_complete(self):
        self.write("selection/bench_a.txt", ["A/1"])
        self.write("runs/bench_a.jsonl", [run("A/1/iterations:1")])
        p = self.merge()
        self.assertEqual(p.returncode, 0, p.stderr)
        c = load(self.out)["context"]
        self.assertIs(c["complete"], True)
        self.assertEqual(c["write_errors"], [])

    def test_missing_run_is_not_complete(self):
        self.write("selection/bench_a.txt", ["A/1", "A/2"])
        self.write("runs/bench_a.jsonl", [run("A/1")])
        self.assertEqual(self.merge().returncode, 1)
        self.assertIs(load(self.out)["context"]["complete"], False)

    def test_errors_from_records_side_file_and_exit_status(self):
        self.write("selection/bench_a.txt", ["A/1", "A/2"])
        self.write("selection/bench_b.txt", ["B/1"])
        self.write("selection/bench_c.txt", ["C/1"])
        self.write("runs/bench_a.jsonl", [
            run("A/1", write_errors=[{"path": "/o/traces/A_1.jsonl", "reason": "File too large"}]),
            run("A/2")])
        self.write("runs/bench_b.jsonl", [run("B/1")])
        self.write("runs/bench_b.jsonl.write_errors",
                   [json.dumps({"path": "/o/runs/bench_b.jsonl",
                                "reason": "No space left on device"})])
        self.write("runs/bench_c.jsonl", [run("C/1")])
        # bench_b recorded its error; bench_c exited 3 and recorded nothing.
        p = self.merge("--write-failed", "bench_b", "--write-failed", "bench_c")
        self.assertEqual(p.returncode, 1)
        c = load(self.out)["context"]
        self.assertIs(c["complete"], False)
        self.assertEqual(c["write_errors"], [
            {"path": "/o/traces/A_1.jsonl", "reason": "File too large", "run": "A/1"},
            {"path": "/o/runs/bench_b.jsonl", "reason": "No space left on device"},
            {"path": "bench_c", "reason": "a write failed (exit status 3) and could not be "
             "recorded; see its messages on stderr"}])
        self.assertIn("not written: /o/traces/A_1.jsonl: File too large (run A/1)", p.stderr)

    def test_results_json_not_writable_keeps_the_earlier_file(self):
        self.write("selection/bench_a.txt", ["A/1"])
        self.write("runs/bench_a.jsonl", [run("A/1")])
        with open(self.out, "w") as f:
            f.write('{"earlier": true}')
        os.symlink("/dev/full", self.out + ".tmp")
        p = self.merge()
        self.assertEqual(p.returncode, 3)  # 3: results.json itself not written
        self.assertIn(f"cannot write {self.out}.tmp: No space left on device", p.stderr)
        with open(self.out) as f:
            self.assertEqual(f.read(), '{"earlier": true}')
        self.assertFalse(os.path.lexists(self.out + ".tmp"))

    def test_merge_shards_carries_write_errors(self):
        for i, errors in ((0, []),
                          (1, [{"path": "/s1/traces/B.jsonl", "reason": "File too large"}])):
            d = os.path.join(self.d, f"shard{i}")
            os.makedirs(d)
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump({"context": {"shard": f"{i}/2", "runs_missing": [],
                                       "write_errors": errors, "complete": not errors},
                           "benchmarks": [json.loads(run(f"X/{i}"))]}, f)
        merged = os.path.join(self.d, "merged")
        p = subprocess.run([sys.executable, SHARDS, "--out", merged,
                            os.path.join(self.d, "shard0"), os.path.join(self.d, "shard1")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("could not write all its outputs", p.stderr)
        c = load(os.path.join(merged, "results.json"))["context"]
        self.assertIs(c["complete"], False)
        self.assertEqual(c["write_errors"],
                         [{"path": "/s1/traces/B.jsonl", "reason": "File too large"}])


if __name__ == "__main__":
    unittest.main()
