"""`./isobench report [RESULTS.json|DIR ...]`: the report of $ISOBENCH_OUT (no input, or the one
input is $ISOBENCH_OUT itself), else merge the inputs — shard directories or results files —
into $ISOBENCH_OUT (merge_shards.py: missing shards, duplicated runs, unfinished shards are
problems) and report the merged directory. Exit 1 when the merge had problems (the report is
written all the same), when it could not merge at all, or when the report failed."""
import os
import subprocess

from . import PYTHON, merge_shards
from .messages import die


def same_dir(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def split_reference(args):
    """(inputs, ["--reference", REF] or []): the report's own option taken out of the inputs."""
    inputs, ref, it = [], [], iter(args)
    for a in it:
        if a == "--reference":
            ref = ["--reference", next(it, None) or die("report: --reference needs DIR or "
                                                        "RESULTS.json")]
        elif a.startswith("--reference="):
            ref = ["--reference", a.split("=", 1)[1]]
        else:
            inputs.append(a)
    return inputs, ref


def main(inputs):
    inputs, ref = split_reference(inputs)
    out = os.environ.get("ISOBENCH_OUT") or "reports/out"
    report = [PYTHON, "reports/report.py", "--out", out] + ref
    in_dir = ""
    if len(inputs) == 1:
        in_dir = inputs[0] if os.path.isdir(inputs[0]) else (os.path.dirname(inputs[0]) or ".")
    if not inputs or (in_dir and os.path.isdir(out) and same_dir(in_dir, out)):
        return subprocess.call(report + (inputs or [os.path.join(out, "results.json")]))
    try:
        merged = merge_shards.main(["--out", out, *inputs])
    except SystemExit as e:  # its argparse on bad usage (an input starting with '-'): status 2
        merged = e.code if isinstance(e.code, int) else 2
    if merged == 2:
        die(f"report: cannot merge into {out} (see above)")
    if subprocess.call(report + [os.path.join(out, "results.json")]) != 0:
        die("the report failed (see above)")
    if merged != 0:
        die("report: merged with problems (see above; also in results.json context.merge_problems)")
    return 0
