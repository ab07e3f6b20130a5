#!/usr/bin/env python3
"""The runs of `./isobench bench --method NAME`: the method's runs and the baselines each is
compared with (same family, settings and seed; no treatment or another method of its kind).
Standard library only. The logic is reports/isobench_report/method_select.py.

usage: method_runs.py --method NAME --names ALL.txt [--within SUBSET.txt [--filter REGEX]] [--regex]

  --names ALL.txt      every run name the binaries list (one a line, no --filter, no --shard)
  --within SUBSET.txt  keep only these names (what --filter selects): the intersection
  --filter REGEX       the user's --filter, only to name it in the error when nothing is left
  --regex              print one anchored POSIX extended regular expression matching exactly the
                       selected names (for --isobench_filter) instead of the names

Exit 1, with a message naming the method and listing the methods that do have runs, when the
method has no run; exit 1 also when --within leaves nothing; 2 on bad usage or unreadable files.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from isobench_report.method_select import NoRuns, anchored_regex, select  # noqa: E402


def read_names(path):
    try:
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError as e:
        print(f"isobench: error: cannot read the run names in {path}: {e.strerror}",
              file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--method", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--within")
    ap.add_argument("--filter", default="")
    ap.add_argument("--regex", action="store_true")
    a = ap.parse_args(argv)
    names = read_names(a.names)
    try:
        chosen = select(names, a.method)
    except NoRuns as e:
        print(f"isobench: error: --method {a.method}: {e}", file=sys.stderr)
        return 1
    if a.within is not None:
        keep = set(read_names(a.within))
        n = len(chosen)
        chosen = [x for x in chosen if x in keep]
        if not chosen:
            print(f"isobench: error: none of the {n} runs of --method {a.method} (with its "
                  f"baselines) matches --filter '{a.filter}'", file=sys.stderr)
            return 1
    print(anchored_regex(chosen) if a.regex else "\n".join(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
