"""reports/regress.py compares datasets by content digest: the same files elsewhere (other path,
other description) compare; other bytes, or a side without digests, are refused (exit 2)."""
import json
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


if __name__ == "__main__":
    unittest.main()
