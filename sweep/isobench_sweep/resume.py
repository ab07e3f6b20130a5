"""--resume: what a sweep in $ISOBENCH_OUT keeps, and with which settings it may go on.

The stamp runs/sweep.txt records how the sweep began: "profile=P", "version=V" (git describe),
"env:VAR=value" for each variable of SWEEP_ENV (paths resolved) and, for a shard, how it was
split ("split:shard_mode=balanced|hash"; balanced: "split:cost_table=SHA256" of the cost table
and "split:shard_selection=SHA256" of the whole selection's names). --resume refuses another
profile, another split (a requeued shard must run the part its finished runs belong to) or
another value of a recorded variable (runs that read other data or trained otherwise are not
comparable) and warns on another version. Which runs are finished is the binaries'
reading of their run logs (--isobench_resume: a record without an error and without
write_errors). Without --resume the sweep starts afresh: fresh_start() removes the outputs of the
earlier one.
"""
import os
import shlex
import shutil

from .messages import die, say
from .sharding import SPLIT_KEYS

# The environment that decides what a sweep's runs read and compute: recorded with the sweep,
# checked by --resume and repeated in the resume command.
SWEEP_ENV = ("ISOBENCH_DATA_DIR", "ISOBENCH_ROOT", "ISOBENCH_EMBEDDINGS",
             "ISOBENCH_EMBEDDINGS_FROZEN", "ISOBENCH_LR_SCALE", "ISOBENCH_BENCH_DIR",
             "ISOBENCH_PROBE", "ISOBENCH_PROBE_SECONDS")
PATH_ENV = ("ISOBENCH_DATA_DIR", "ISOBENCH_ROOT", "ISOBENCH_EMBEDDINGS", "ISOBENCH_BENCH_DIR")
STAMP = os.path.join("runs", "sweep.txt")


def env_value(var, environ=None):
    """var's value in environ ("" when unset), a path resolved (data/ and ./data/ compare equal;
    the path need not exist)."""
    v = (os.environ if environ is None else environ).get(var, "")
    if var in PATH_ENV and v:
        v = os.path.realpath(v)
    return v


def stamp_text(profile, version, environ=None, split=None):
    """The contents of runs/sweep.txt for a sweep beginning now; split: how a shard was chosen
    ({"shard_mode", and for balanced shards "cost_table", "shard_selection": digests})."""
    lines = [f"profile={profile}", f"version={version}"]
    lines += [f"env:{v}={env_value(v, environ)}" for v in SWEEP_ENV]
    lines += [f"split:{k}={v}" for k, v in sorted((split or {}).items())]
    return "".join(line + "\n" for line in lines)


def read_stamp(path):
    """{key: value} of a stamp's lines KEY=VALUE (the first of a repeated key)."""
    out = {}
    with open(path) as f:
        for line in f:
            key, eq, value = line.rstrip("\n").partition("=")
            if eq and key not in out:
                out[key] = value
    return out


def check(out, profile, version, environ=None, split=None):
    """For --resume on the sweep in out (its stamp exists): Die when the profile, a recorded
    variable or the shard split (mode, cost table, selection) differs; a warning when the
    version does."""
    stamp = read_stamp(os.path.join(out, STAMP))
    if any(k.startswith("split:") for k in stamp) or split:
        was = {k[len("split:"):]: v for k, v in stamp.items() if k.startswith("split:")}
        now = dict(split or {})
        if not was and now:
            was = {"shard_mode": "hash"}  # a stamp from before --shard-mode: hash was the split
        if not now:
            die(f"--resume: the sweep in {out} is shard {was.get('shard', '?')} "
                f"({was.get('shard_mode', 'hash')} split); resume it with the same --shard "
                f"(and --shard-mode), or start afresh (without --resume)")
        first = ("shard",) + SPLIT_KEYS  # the shard, the mode, then what the mode depends on
        for key in sorted(set(was) | set(now), key=lambda k: (k not in first, first.index(k)
                                                               if k in first else 0, k)):
            if key == "shard" and key not in was:
                continue  # stamped before the shard was recorded
            w, n = was.get(key, ""), now.get(key, "")
            if w == n:
                continue
            if key in ("shard", "shard_mode"):
                flag = "--shard" if key == "shard" else "--shard-mode"
                die(f"--resume: the sweep in {out} was split with {key} '{w}', now it would be "
                    f"'{n}'; resume it with {flag} {w}, or start afresh (without --resume)")
            die(f"--resume: the shard in {out} was split with {key} '{w}', now it would be "
                f"'{n}' — the cost table, the MNIST present or the selection changed since, so "
                f"this shard's part would differ from the one its finished runs belong to; resume "
                f"with the same (git checkout the table, the same data, binaries and options), or "
                f"start this shard afresh (without --resume)")
    was = stamp.get("profile", "")
    if was != profile:
        die(f"--resume: {out} holds a '{was}' sweep; resume it with --profile {was}, or use "
            f"another ISOBENCH_OUT")
    built = stamp.get("version", "")
    if built != version:
        say(f"warning: --resume: the finished runs in {out} are of isobench {built}, this build "
            f"is {version}")
    for v in SWEEP_ENV:
        if f"env:{v}" not in stamp:
            continue
        was_v, now_v = stamp[f"env:{v}"], env_value(v, environ)
        if was_v != now_v:
            die(f"--resume: the sweep in {out} began with {v}='{was_v}', now it is '{now_v}'; "
                f"resume with the same, or start afresh (without --resume)")


def fresh_start(out):
    """Removes an earlier sweep's outputs from out: runs/, selection/, traces/, checkpoints/,
    parts/ (where older versions kept Google Benchmark's JSON), datasets.jsonl and
    results.json."""
    for d in ("runs", "selection", "parts", "traces", "checkpoints"):
        shutil.rmtree(os.path.join(out, d), ignore_errors=True)
    for f in ("datasets.jsonl", "results.json"):
        try:
            os.remove(os.path.join(out, f))
        except FileNotFoundError:
            pass


def command(out, args, environ=None):
    """The command that runs the rest of an interrupted sweep: the same environment (the sweep's
    variables and ISOBENCH_BLAS_THREADS, when set), the same options (args, without --resume),
    and --resume."""
    environ = os.environ if environ is None else environ
    envs = f"ISOBENCH_OUT={shlex.quote(out)}"
    for v in SWEEP_ENV + ("ISOBENCH_BLAS_THREADS",):
        if environ.get(v):
            envs += f" {v}={shlex.quote(environ[v])}"
    again = "".join(" " + shlex.quote(a) for a in args if a != "--resume")
    return f"{envs} ./isobench bench{again} --resume"
