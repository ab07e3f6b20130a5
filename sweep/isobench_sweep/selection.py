"""What a sweep runs: --filter and --method into the binaries' --isobench_filter.

--filter REGEX is passed on as --isobench_filter=REGEX (a POSIX ERE search over each run's name,
applied by the binary). --method NAME becomes one anchored --isobench_filter matching exactly
the method's runs and their baselines (same family, settings and seed, under no treatment or
another method of its kind: reports/isobench_report/method_select.py, which the report shares),
within --filter's selection when both are given; it is then recorded as the sweep's filter, so
sharding, resume and merge treat it like any --filter.
"""
import os
import sys

# method_select is the report's knowledge of run names (standard library only; reports/ is on
# sys.path by this package's __init__).
from isobench_report.method_select import NoRuns, anchored_regex, select

from .binaries import list_runs, names_of
from .messages import error, say


class NoSelection(Exception):
    """--method selects nothing (the message says why)."""


def method_runs(names, method, within=None, user_filter=""):
    """The names (in order) of --method METHOD's runs and baselines among names, restricted to
    within (a collection, or None) — the names --filter selects. Raises NoSelection with the
    driver's message when the method has no run or nothing is left within."""
    try:
        chosen = select(names, method)
    except NoRuns as e:
        raise NoSelection(f"--method {method}: {e}") from None
    if within is not None:
        keep = set(within)
        n = len(chosen)
        chosen = [x for x in chosen if x in keep]
        if not chosen:
            raise NoSelection(f"none of the {n} runs of --method {method} (with its baselines) "
                              f"matches --filter '{user_filter}'")
    return chosen


def method_filter(method, user_filter, binaries):
    """The anchored --isobench_filter of `--method method` (with --filter user_filter when not
    empty) over the binaries' runs; None after printing why when a binary cannot list its runs or
    nothing is selected."""
    everything, within = [], []
    for b in binaries:
        rc, text = list_runs(b, [])
        if rc == 0 and user_filter:
            rc, sub = list_runs(b, [f"--isobench_filter={user_filter}"])
            within += names_of(sub)
        if rc != 0:
            say(f"{os.path.basename(b)} could not list its runs (see above)")
            return None
        everything += names_of(text)
    try:
        chosen = method_runs(everything, method, within if user_filter else None, user_filter)
    except NoSelection as e:
        error(str(e))
        return None
    return anchored_regex(chosen)


def read_names(path):
    """The non-empty, stripped lines of path; exits 2 naming the file when it cannot be read."""
    try:
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError as e:
        error(f"cannot read the run names in {path}: {e.strerror}")
        sys.exit(2)


def method_runs_main(argv=None):
    """reports/method_runs.py's command line (see its usage): the names, or their anchored regex,
    of --method's runs among --names, within --within."""
    import argparse
    ap = argparse.ArgumentParser(
        prog="method_runs.py",
        description="The runs of `./isobench bench --method NAME`: the method's runs and the "
                    "baselines each is compared with.")
    ap.add_argument("--method", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--within")
    ap.add_argument("--filter", default="")
    ap.add_argument("--regex", action="store_true")
    a = ap.parse_args(argv)
    names = read_names(a.names)
    within = read_names(a.within) if a.within is not None else None
    try:
        chosen = method_runs(names, a.method, within, a.filter)
    except NoSelection as e:
        error(str(e))
        return 1
    print(anchored_regex(chosen) if a.regex else "\n".join(chosen))
    return 0
