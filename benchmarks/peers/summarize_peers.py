#!/usr/bin/env python3
"""Summarizes an interleaved peer comparison (the log compare_peers.sh writes).

Input: a JSON-lines file, one object per measurement, {"round": R, "peer": P, "epoch_seconds": S,
...} with P one of isobench, pytorch, libtorch, or {"peer": P, "skipped": reason} for a peer that
was not run. Output, per peer: the median and interquartile range (25th–75th percentile, linear
interpolation between order statistics, as numpy's default) of its epoch seconds over the rounds;
for each peer other than isobench, the same of the per-round ratio peer / isobench (only rounds
where both were measured). A ratio > 1 means isobench is faster. Standard library only.

Exit status: 0; 1 when the log is unreadable, a line is not such an object, or isobench has no
measurement (each message names the file and line).

usage: /usr/bin/python3 summarize_peers.py LOG.jsonl
"""
import json
import sys

ORDER = ["isobench", "pytorch", "libtorch"]


def quantile(values, q):
    """The q-quantile (0 ≤ q ≤ 1) of a non-empty list, interpolating linearly (numpy's default)."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def describe(values):
    """'median m (IQR a–b, n = k)' of a non-empty list, numbers to 3 decimals."""
    return (f"median {quantile(values, 0.5):.3f} (IQR {quantile(values, 0.25):.3f}–"
            f"{quantile(values, 0.75):.3f}, n = {len(values)})")


def read_log(path):
    """{peer: {round: seconds}} and {peer: skip reason} from the log; ValueError names the line."""
    seconds, skipped = {}, {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                peer = rec["peer"]
                if "skipped" in rec:
                    skipped[peer] = rec["skipped"]
                else:
                    seconds.setdefault(peer, {})[int(rec["round"])] = float(rec["epoch_seconds"])
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a measurement or skip record ({e}): "
                                 f"{line.strip()[:120]}") from None
    return seconds, skipped


def summarize(seconds, skipped):
    """The report's lines."""
    ours = seconds.get("isobench")
    if not ours:
        raise ValueError("no isobench measurement in the log")
    seen = set(seconds) | set(skipped)
    peers = [p for p in ORDER if p in seen] + sorted(seen - set(ORDER))
    out = []
    for peer in peers:
        if peer in skipped:
            out.append(f"{peer}: skipped: {skipped[peer]}")
            continue
        out.append(f"{peer}: epoch seconds {describe(list(seconds[peer].values()))}")
        if peer == "isobench":
            continue
        ratios = [s / ours[r] for r, s in sorted(seconds[peer].items()) if r in ours]
        if ratios:
            out.append(f"{peer} / isobench: {describe(ratios)}")
    if all(p == "isobench" or p in skipped for p in peers):
        out.append("no peer measured: nothing to compare with (install python3-torch and/or "
                   "libtorch-dev)")
    return out


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        lines = summarize(*read_log(argv[1]))
    except (OSError, ValueError) as e:
        print(f"summarize_peers.py: {argv[1]}: {e}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
