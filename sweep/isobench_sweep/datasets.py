"""The data a sweep's runs read, for results.json's context "datasets": per dataset its
description and the files read (role, path, sample count, md5 of the decompressed bytes), from
the runs' notes in $ISOBENCH_OUT/datasets.jsonl (benchmarks/common/bench_common.hpp); and the
conflicts that make a sweep's runs incomparable (one file role read with two contents, e.g. a
sweep resumed with another ISOBENCH_DATA_DIR)."""
import gzip
import hashlib
import sys
import zlib

from .runlog import read_lines


def content_md5(path, cache):
    """(md5 hex of the file's decompressed bytes, None) or (None, reason); cached per path.
    gzip.open reads concatenated members as gunzip does, like the C++ reader."""
    if path not in cache:
        h = hashlib.md5()
        try:
            with open(path, "rb") as raw:
                gz = raw.read(2) == b"\x1f\x8b"
            with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            cache[path] = (h.hexdigest(), None)
        except (OSError, EOFError, zlib.error) as e:
            cache[path] = (None, str(e))
    return cache[path]


def read_datasets(path):
    """context["datasets"]: per dataset {"description": text, "files": [{"role", "path",
    "samples", "md5"}]} from the runs' notes; md5 is of the decompressed bytes (what the runs
    read), so the same data compares equal wherever and however compressed it is. A note without
    files (an older binary) keeps its description only."""
    datasets, cache = {}, {}
    for r in read_lines(path) if path else []:
        name = r.get("dataset")
        if not isinstance(name, str) or "files" not in r:
            continue
        entry = datasets.setdefault(name, {"description": r["files"], "files": []})
        entry["description"] = r["files"]
        for src in r.get("sources") or []:
            if not isinstance(src, dict) or not isinstance(src.get("path"), str):
                continue
            if any(f["path"] == src["path"] and f["role"] == src.get("role")
                   for f in entry["files"]):
                continue
            md5, err = content_md5(src["path"], cache)
            f = {"role": src.get("role"), "path": src["path"], "samples": src.get("samples"),
                 "md5": md5}
            if err:
                f["md5_error"] = err
                print(f"merge: dataset {name}: cannot read {src['path']} for its digest ({err}); "
                      f"results.json records no md5 for it", file=sys.stderr)
            entry["files"].append(f)
    return datasets


def dataset_conflicts(datasets):
    """Why a dataset's runs read different data: a file role (e.g. "train images") recorded with
    two different digests within one sweep. [] when every role has one digest."""
    out = []
    for name, entry in sorted(datasets.items()):
        by_role = {}
        for f in entry.get("files", []) if isinstance(entry, dict) else []:
            if f.get("md5"):
                by_role.setdefault(str(f.get("role")), {})[f["md5"]] = f.get("path")
        for role, seen in sorted(by_role.items()):
            if len(seen) > 1:
                out.append(f"{name} {role}: " + ", ".join(
                    f"{p} (md5 {m})" for m, p in sorted(seen.items())))
    return out
