"""reports/regress.py compares datasets by content digest: the same files elsewhere (other path,
other description) compare; other bytes, or a side without digests, are refused (exit 2). It
also judges both sides' claims with the report's code and lists the verdicts whose outcome
changed: a supported <-> contradicted flip fails (exit 1), a change to inconclusive is shown and
passes, identical verdicts list nothing."""
import json
import re
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGRESS = os.path.join(ROOT, "reports", "regress.py")
A, B = "0" * 32, "f" * 32


def mnist(where, train_md5, desc=None):
    return {"description": desc or f"mnist: train-images-idx3-ubyte.gz; from {where}",
            "files": [{"role": "train images", "path": f"{where}/train-images-idx3-ubyte.gz",
                       "samples": 60000, "md5": train_md5},
                      {"role": "test images", "path": f"{where}/t10k-images-idx3-ubyte.gz",
                       "samples": 10000, "md5": A}]}


class RegressDatasets(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def regress(self, base_ds, now_ds):
        paths = []
        for tag, ds in (("base", base_ds), ("now", now_ds)):
            p = os.path.join(self.tmp.name, tag + ".json")
            with open(p, "w") as f:
                json.dump({"context": {"datasets": {"mnist": ds}},
                           "benchmarks": [{"name": "RQB/x/seed:1", "steps_to_target": 100}]}, f)
            paths.append(p)
        r = subprocess.run([sys.executable, REGRESS, paths[1], "--baseline", paths[0]],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def test_same_digests_elsewhere_compare(self):
        rc, out = self.regress(mnist("/ci/shared/data/mnist", B),
                               mnist("/home/me/isobench/data/mnist", B, desc="renamed, dot-spelled"))
        self.assertEqual(rc, 0, out)
        self.assertIn("1 runs compared", out)

    def test_other_content_is_refused_naming_the_file_role(self):
        rc, out = self.regress(mnist("/same/place", B), mnist("/same/place", A))
        self.assertEqual(rc, 2, out)
        self.assertIn(f"train images: md5 {B} in the baseline, {A} now", out)

    def test_no_digest_is_refused(self):
        rc, out = self.regress("mnist: train-10k-images-idx3-ubyte.gz; from /x", mnist("/x", B))
        self.assertEqual(rc, 2, out)
        self.assertIn("the baseline records no files for it", out)

    def test_an_undigested_file_says_why(self):
        now = mnist("/x", B)
        del now["files"][0]["md5"]
        now["files"][0]["md5_error"] = "Permission denied"
        rc, out = self.regress(mnist("/x", B), now)
        self.assertEqual(rc, 2, out)
        self.assertIn("could not digest /x/train-images-idx3-ubyte.gz", out)
        self.assertIn("Permission denied", out)

    def test_a_role_read_on_one_side_only_is_other_data(self):
        # e.g. SENT with pretrained vectors against SENT with learned embeddings.
        now = mnist("/x", B)
        now["files"].append({"role": "embeddings", "path": "/v.txt", "samples": 3, "md5": A})
        rc, out = self.regress(mnist("/x", B), now)
        self.assertEqual(rc, 2, out)
        self.assertIn("files of other roles", out)


SEED = ("SEED/rnn/task:rowmnist/dataset:mnist/init:{init}{gain}/hidden:128/batch:128{reg}/"
        "opt:adam/lr:0.0001/seed:{s}")
GAIN_CLAIM = ("so_gain_adjusted beats so (task:rowmnist gain:1.25 norm:mean lambda:0.5 "
              "lr:0.0001)")
INIT_CLAIM = "orthogonal init (g = 1, no penalty) beats Glorot (task:rowmnist lr:0.0001)"
Z = [-2.0, -1.0, 0.0, 1.0, 2.0]
SD_Z = (sum(z * z for z in Z) / 4) ** 0.5


def shift(sign):
    """Five paired differences, mean sign × 0.003 = 5 × their SD (0.0006): small enough that
    no accuracy counter moves by its one-point tolerance when the sign flips."""
    return [sign * (0.003 + 0.0006 * z / SD_Z) for z in Z]


def seed_runs(gain_diffs, init_diffs=None):
    """SEED at 5 seeds: so and so_gain_adjusted (+ gain_diffs); with init_diffs, Glorot and
    orthogonal g = 1 (+ init_diffs) too."""
    out = []
    reg = "/reg:{}/norm:mean/lambda:0.5"
    for i, s in enumerate(range(1, 6)):
        plain = 0.85 + 0.01 * s
        arms = [("orthogonal", "/gain:1.25", reg.format("so"), plain),
                ("orthogonal", "/gain:1.25", reg.format("so_gain_adjusted"),
                 plain + gain_diffs[i])]
        if init_diffs is not None:
            arms += [("glorot_uniform", "", "/reg:none", plain),
                     ("orthogonal", "/gain:1", "/reg:none", plain + init_diffs[i])]
        for init, gain, r, acc in arms:
            out.append({"name": SEED.format(init=init, gain=gain, reg=r, s=s),
                        "best_val_acc": acc, "diverged": 0})
    return out


class RegressVerdicts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def regress(self, base_runs, now_runs):
        paths = []
        for tag, runs in (("base", base_runs), ("now", now_runs)):
            p = os.path.join(self.tmp.name, tag + ".json")
            with open(p, "w") as f:
                json.dump({"context": {"datasets": {"mnist": mnist("/x", B)}},
                           "benchmarks": runs}, f)
            paths.append(p)
        r = subprocess.run([sys.executable, REGRESS, paths[1], "--baseline", paths[0]],
                           capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    def changed(self, out):
        """The rows of the section "verdicts whose outcome changed" (after its header)."""
        lines = out.splitlines()
        start = [i for i, l in enumerate(lines) if l.startswith("verdicts whose outcome")]
        self.assertEqual(len(start), 1, out)
        return [l for l in lines[start[0] + 2:] if l.startswith("SEED ")]

    def test_a_flip_fails_even_without_counter_regressions(self):
        none = [z / 1024 for z in Z]
        rc, out, err = self.regress(seed_runs(shift(+1), none), seed_runs(shift(-1), none))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("0 regressions", out)  # the counters alone would pass
        rows = self.changed(out)
        self.assertEqual(len(rows), 1, out)
        self.assertRegex(rows[0], r"^SEED +" + re.escape(GAIN_CLAIM) + r" +supported +contradicted"
                         r" +0\.003 → -0\.003 +0\.00073 → 0\.00073 +FLIP$")
        self.assertIn("regress: 1 verdict(s) flipped between supported and contradicted", out)

    def test_a_change_to_inconclusive_is_shown_and_passes(self):
        none = [z / 1024 for z in Z]  # exactly symmetric: no effect
        rc, out, err = self.regress(seed_runs(shift(+1)), seed_runs(none))
        self.assertEqual(rc, 0, out + err)
        rows = self.changed(out)
        self.assertEqual(len(rows), 1, out)
        self.assertIn(GAIN_CLAIM, rows[0])
        self.assertRegex(rows[0], r" supported +inconclusive +0\.003 → 0 +0\.00036 → 1 +shown$")
        self.assertNotIn("flipped", out)

    def test_identical_lists_nothing_and_claims_use_shared_runs_only(self):
        runs = seed_runs(shift(+1), [z / 1024 for z in Z])
        rc, out, err = self.regress(runs, runs)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("verdicts whose outcome changed: none (2 claims judged on both sides)",
                      out)
        # Claims are judged on the runs both files hold: the init claim's runs are new on one
        # side only, so it is not judged at all (its runs are listed as new runs above).
        rc, out, err = self.regress(seed_runs(shift(+1)), runs)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("verdicts whose outcome changed: none (1 claims judged on both sides)",
                      out)
        self.assertNotIn(INIT_CLAIM, out.split("verdicts whose outcome changed")[1])


if __name__ == "__main__":
    unittest.main()
