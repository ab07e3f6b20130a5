"""--shard I/K: which part of the selection a shard runs.

A run belongs to shard name_hash(name) % K, the name as the contract writes it (no
"/iterations:1"), hashed over its UTF-8 bytes. The binaries apply it when registering runs
(--isobench_shard=I/K; name_hash in benchmarks/common/bench_common.cpp, which is text_hash of
lib/src/core/rng.cpp), since only a binary knows the runs it registers; this module is the
rule's statement in the protocol: bench.py checks each binary's shard listing against part()
of the whole selection, and the tests use it. Since the shard of a run depends on its name
alone, filtering then sharding gives the same set as the reverse, the K parts are disjoint and
they cover the selection.
A recorded shard (results.json context "shard") is read by parse_recorded(), and absent() finds
the shards a set of inputs lacks: the shard merge and the report share both.
"""
import re

# FNV-1a's loop (xor a byte, multiply by the prime, mod 2**64) with the project's offset basis,
# which is one digit short of the published 14695981039346656037. Kept as it is: it decides the
# shard of every run (and lib/src/core/rng.cpp seeds with the same loop), so changing it would move
# runs between shards of a sweep in progress.
FNV_OFFSET = 1469598103934665603
FNV_PRIME = 1099511628211


# How a shard was split, as results.json's context and the resume stamp record it (bench.py): the
# mode, then what a balanced split depends on. resume.check also compares the shard I/K itself.
SPLIT_KEYS = ("shard_mode", "cost_table", "cost_mnist", "shard_selection")


def name_hash(name):
    """The 64-bit hash of name's UTF-8 bytes that the binaries shard by (an int in [0, 2**64))."""
    h = FNV_OFFSET
    for c in name.encode():
        h = ((h ^ c) * FNV_PRIME) % 2**64
    return h


def parse(text):
    """'I/K' -> (I, K) with 0 <= I < K, or raise ValueError with the driver's message."""
    m = re.fullmatch(r"([0-9]+)/([0-9]+)", text)
    if not m:
        raise ValueError(f"bad --shard '{text}' (expected I/K, e.g. 0/4)")
    i, k = int(m.group(1)), int(m.group(2))
    if not (k >= 1 and i < k):
        raise ValueError(f"bad --shard '{text}' (need 0 <= I < K)")
    return i, k


def parse_recorded(text):
    """A results.json context "shard" (None: a run without --shard, i.e. "0/1") -> (I, K), or
    None when it is not I/K with 0 <= I < K."""
    m = re.fullmatch(r"(\d+)/(\d+)", text or "0/1")
    if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        return None
    return int(m.group(1)), int(m.group(2))


def absent(parts):
    """The shards that parts — (I, K) pairs, e.g. of the inputs of a merge or a report — lack:
    {K: [I in 0..K-1 that no pair holds, ascending]} for each K-way split among parts, in the
    order the splits first appear (a complete split maps to [])."""
    have = {}
    for i, k in parts:
        have.setdefault(k, set()).add(i)
    return {k: [i for i in range(k) if i not in got] for k, got in have.items()}


def part(names, i, k):
    """The names (in their order) that shard i of k runs."""
    return [n for n in names if name_hash(n) % k == i]
