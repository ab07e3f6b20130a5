#!/usr/bin/env python3
"""compare_results.py EXPECTED.json ACTUAL.json [--same-order]

Exit 0 when both results files hold the same runs (names) with the same outcome: every counter
except timings (real_time, cpu_time and counters named *seconds*, *per_second*, gflops) equal
exactly, the same error state. With --same-order the entries must also come in the same order.
Prints every difference; exit 1 if any."""
import json
import re
import sys

TIMING = re.compile(r"seconds|per_second|gflops")
NOT_COUNTERS = {"name", "run_name", "real_time", "cpu_time", "time_unit", "family_index",
                "per_family_instance_index"}


def outcome(b):
    return {k: v for k, v in b.items() if k not in NOT_COUNTERS and not TIMING.search(k)}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    same_order = "--same-order" in sys.argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = (json.load(open(p))["benchmarks"] for p in args)
    diffs = []
    na, nb = [x["name"] for x in a], [x["name"] for x in b]
    if len(set(nb)) != len(nb):
        diffs.append(f"{args[1]} has duplicated names")
    if set(na) != set(nb):
        diffs.append(f"only in {args[0]}: {sorted(set(na) - set(nb))}")
        diffs.append(f"only in {args[1]}: {sorted(set(nb) - set(na))}")
    elif same_order and na != nb:
        diffs.append(f"same runs in another order:\n  {na}\n  {nb}")
    bmap = {x["name"]: x for x in b}
    compared = 0
    for x in a:
        y = bmap.get(x["name"])
        if y is None:
            continue
        ox, oy = outcome(x), outcome(y)
        if ox != oy:
            keys = sorted(k for k in set(ox) | set(oy) if ox.get(k) != oy.get(k))
            diffs.append(f"{x['name']}: " + ", ".join(f"{k} {ox.get(k)!r} != {oy.get(k)!r}"
                                                      for k in keys))
        compared += 1
    for d in diffs:
        print(f"compare: {d}")
    print(f"compare: {compared} runs compared, {len(diffs)} difference(s)")
    return 1 if diffs or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
