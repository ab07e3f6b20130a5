"""`./isobench bench`: the sweep protocol, in order (docs/SWEEPS.md).

 1. options: --profile, --filter, --method, --shard, --shard-mode, --jobs, --list, --resume,
    --no-build, --no-report, --probe
 2. binaries: $ISOBENCH_BENCH_DIR as built, else build/<preset>/benchmarks after
    `./isobench build --profile P` (unless --no-build)
 3. selection: --method -> one anchored filter (selection.py); the flags for the binaries
 3a. --probe (probe.py): the first seed of every selected configuration (PERF left out), named
    to the binaries with --isobench_run, ISOBENCH_PROBE=1 in their environment, the output
    reports/out/probe unless ISOBENCH_OUT says otherwise, and the probe's estimates
 3b. the cost table (costs.py): estimates for the task plan, the --list summary and balanced
    shards; --shard I/K --shard-mode balanced (the default) splits the whole selection by cost
    (costs.balanced_parts) and hands each binary its part by name (--isobench_run); hash: the
    binaries keep the runs whose name hash falls in the shard (sharding.py)
 4. --list: print what would run (with --resume: what is left) and stop; on stderr, lines
    starting with "# ": the estimated CPU time per family and in total, the wall time at --jobs
 5. check the selection before touching $ISOBENCH_OUT: every binary lists its runs (a hash
    shard: checked against sharding.part of its whole selection); a bad or empty filter, a binary
    that cannot list or shards otherwise, a run a balanced split cannot estimate costs nothing
 6. resume or start afresh (resume.py); the stamp runs/sweep.txt
 7. per binary: selection/BIN.txt (and, sharded, selection/all/BIN.txt, the whole sweep's order),
    then its runs with crash restart (crash.py): with --jobs 1 each binary in one process, one
    after another; with --jobs N > 1 in tasks of a few runs, N at a time, PERF last and alone
    (parallel.py)
 8. results.json from the run logs (merge_runs.py), the write checks
 9. stopped by SIGINT/SIGTERM: say how to resume, exit 130/143; else the report (--probe: the
    probe's table, probe.txt and probe.json); exit 1 when anything failed.
"""
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time

from . import costs, crash, merge_runs, parallel, probe, resume, sharding
from .binaries import RUN_FLAG, Runner, find_binaries, list_runs, names_of
from . import PYTHON
from .messages import die, say
from .selection import method_filter

PROFILES = ("quick", "paper")
SHARD_MODES = ("balanced", "hash")


def preset_for(profile):
    """The CMake preset (and build/ directory) of a profile."""
    return "paper" if profile == "paper" else "release"


class Options:
    def __init__(self):
        self.profile, self.filter, self.method, self.shard = "quick", "", "", ""
        self.shard_mode, self.shard_mode_given = "balanced", False
        self.list = self.resume = self.probe = False
        self.build = self.report = True
        self.jobs = None  # default_jobs() unless --jobs


def default_jobs():
    """--jobs when not given: $ISOBENCH_JOBS (the tests pin it to 1, so `ctest -j` does not
    oversubscribe), else the cores this process may use."""
    given = os.environ.get("ISOBENCH_JOBS", "")
    if given:
        return parse_jobs(given, "ISOBENCH_JOBS")
    return parallel.usable_cores()


def parse_jobs(text, where="--jobs"):
    """A positive number of jobs from text, or Die naming where it came from."""
    if not text.isdigit() or int(text) < 1:
        die(f"bad {where} '{text}' (expected a positive number of runs at once, e.g. 2)")
    return int(text)


def parse(args):
    """Options from bench's arguments, with the driver's messages for bad ones (Die)."""
    o, i = Options(), 0

    def value(flag):
        nonlocal i
        a = args[i]
        if a.startswith(flag + "="):
            i += 1
            return a[len(flag) + 1:]
        if i + 1 >= len(args):
            die(f"{flag} needs a value")
        i += 2
        return args[i - 1]

    while i < len(args):
        a = args[i]
        key = a.split("=", 1)[0] if a.startswith("--") else a
        if key == "--profile":
            o.profile = value("--profile")
            if o.profile not in PROFILES:
                die(f"bad --profile '{o.profile}' (expected quick or paper)")
        elif key == "--filter":
            o.filter = value("--filter")
        elif key == "--method":
            o.method = value("--method")
        elif key == "--shard":
            o.shard = value("--shard")
        elif key == "--shard-mode":
            o.shard_mode, o.shard_mode_given = value("--shard-mode"), True
            if o.shard_mode not in SHARD_MODES:
                die(f"bad --shard-mode '{o.shard_mode}' (expected balanced or hash)")
        elif key == "--jobs":
            o.jobs = parse_jobs(value("--jobs"))
        elif a == "--list":
            o.list, i = True, i + 1
        elif a == "--resume":
            o.resume, i = True, i + 1
        elif a == "--probe":
            o.probe, i = True, i + 1
        elif a == "--no-build":
            o.build, i = False, i + 1
        elif a == "--no-report":
            o.report, i = False, i + 1
        else:
            die(f"bench: unknown option '{a}' (see ./isobench help)")
    if o.shard:
        try:
            sharding.parse(o.shard)
        except ValueError as e:
            die(str(e))
    if o.probe and o.shard:
        die("--probe runs one seed of each configuration on this machine (about an hour for the "
            "paper profile); it does not shard — drop --shard")
    if o.shard_mode_given and not o.shard:
        die("--shard-mode needs --shard I/K (it says how the shards are split)")
    if o.jobs is None:
        o.jobs = default_jobs()
    return o


def git_version():
    """`git describe --always --dirty --tags`, or "unknown"."""
    try:
        p = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.returncode == 0:
            return p.stdout.strip()
    except OSError:
        pass
    return "unknown"


def reason(e):
    """'PATH: the system's reason' of an OSError (what failed and why, for a message)."""
    return f"{e.filename}: {e.strerror}" if e.filename and e.strerror else str(e)


def write_text(path, text):
    """Writes text to path, creating its directory; raises OSError."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def bench_dir(o, root):
    """The directory of the binaries; builds them first when the sweep should."""
    given = os.environ.get("ISOBENCH_BENCH_DIR", "")
    if given:
        return given
    if o.build:
        rc = subprocess.call(["bash", os.path.join(root, "isobench"), "build",
                              "--profile", o.profile])
        if rc != 0:
            sys.exit(rc)  # the driver said why
    return f"build/{preset_for(o.profile)}/benchmarks"


def full_estimate(table):
    """name -> the cost table's estimate of the full run (None when it has none)."""
    def estimate(name):
        try:
            return table.estimate(name) if table is not None else None
        except costs.CostTableError:
            return None
    return estimate


def main(args, root):
    """Runs `./isobench bench args` from the repository root root; returns the exit status."""
    o = parse(args)
    if os.environ.get("ISOBENCH_PROBE_SECONDS") and not o.probe:
        die("ISOBENCH_PROBE_SECONDS is set: it sets the probe's slice and only --probe reads it; "
            "unset it for a sweep")
    if os.environ.get("ISOBENCH_PROBE") and not o.probe:
        die(f"ISOBENCH_PROBE={os.environ['ISOBENCH_PROBE']} is set: every run would train only "
            f"the probe's slice; probe with ./isobench bench --probe, or unset it for a sweep")
    directory = bench_dir(o, root)
    bins = find_binaries(directory)
    if not bins:
        die(f"no benchmark binaries in {directory} (build them: ./isobench build --profile "
            f"{o.profile})")
    flt = o.filter
    if o.method:
        flt = method_filter(o.method, o.filter, bins)
        if flt is None:
            return 1
    filt = [f"--isobench_filter={flt}"] if flt else []
    out = os.environ.get("ISOBENCH_OUT") or ("reports/out/probe" if o.probe else "reports/out")
    table, table_error = None, ""
    try:
        table = costs.load(root, o.profile, costs.mnist_present(root),
                           os.environ.get("ISOBENCH_COSTS") or None)
    except costs.CostTableError as e:
        table_error = str(e)
    full_table = table
    if o.probe and table is not None:
        table = probe.ProbeTable(table)  # the probe's slices, not the full runs

    def runlog_flags(name):
        log = os.path.join(out, "runs", name + ".jsonl")
        return [f"--isobench_runlog={log}"] + (["--isobench_resume"] if o.resume else [])

    # The flags that select each binary's part of the sweep (None: it has no run in this shard),
    # the whole selection's listing per binary when sharded, and how the shards were split.
    bflags, whole, split = {}, {}, {}

    def whole_selection():
        """{binary: its listing of the whole selection}; Die when one cannot list."""
        if not whole:
            for b in bins:
                rc, text = list_runs(b, filt)
                if rc != 0:
                    die(f"{os.path.basename(b)} could not list its runs (see above); {out} was "
                        f"left as it was")
                whole[b] = text
        return whole

    if o.shard:
        whole_selection()
        si, sk = sharding.parse(o.shard)
        everything = [n for b in bins for n in names_of(whole[b])]
        split = {"shard_mode": o.shard_mode, "shard": o.shard}
        if o.shard_mode == "balanced":
            if table is None:
                die(f"--shard-mode balanced needs the cost table: {table_error}; or split by "
                    f"name hash: --shard-mode hash")
            try:
                mine = set(costs.balanced_parts(everything, table, sk)[si])
            except costs.CostTableError as e:
                die(f"--shard-mode balanced: {e}; or split by name hash: --shard-mode hash")
            # What the split depends on: a requeued task must split the same (resume.check).
            split["cost_table"] = table.digest
            split["cost_mnist"] = table.mnist  # the MNIST size the estimates assumed
            split["shard_selection"] = hashlib.sha256(
                "\n".join(everything).encode()).hexdigest()
            for b in bins:
                own = [n for n in names_of(whole[b]) if n in mine]
                bflags[b] = filt + [RUN_FLAG + n for n in own] if own else None
        else:
            for b in bins:
                bflags[b] = filt + [f"--isobench_shard={o.shard}"]
    else:
        for b in bins:
            bflags[b] = filt
    if o.probe:
        # The first seed of every configuration the filter selects, named one by one.
        for b, text in whole_selection().items():
            mine = probe.select(names_of(text))
            bflags[b] = filt + [RUN_FLAG + n for n in mine] if mine else None
        os.environ["ISOBENCH_PROBE"] = "1"

    def listing(b, extra=(), show_errors=True):
        """(status, text) of binary b's part of the sweep (+ extra flags)."""
        if bflags[b] is None:
            return 0, ""
        return list_runs(b, bflags[b] + list(extra), show_errors)

    def estimate(name):
        try:
            return table.estimate(name) if table is not None else 1.0
        except costs.CostTableError:
            return 1.0  # a run the model cannot estimate (said by --list) counts as one second

    if o.list:
        names = []
        for b in bins:
            rc, text = listing(b, runlog_flags(os.path.basename(b)) if o.resume else ())
            sys.stdout.write(text)
            sys.stdout.flush()
            if rc != 0:
                return rc
            names += names_of(text)
        try:
            lines = costs.summary_lines(names, table, o.jobs) if table else [
                f"# no cost estimate: {table_error}"]
        except costs.CostTableError as e:
            lines = [f"# no cost estimate: {e}"]
        if names:
            if o.probe:
                lines.insert(0, f"# the probe: one seed per configuration, min(5 % of each "
                                f"training run, {probe.probe_seconds():g} s), RQA/rnn on one of "
                                f"its four sequences")
            sys.stderr.write("".join(line + "\n" for line in lines))
        return 0

    # Check the selection before touching $ISOBENCH_OUT: a bad or empty --filter, a binary that
    # cannot list its runs or one that shards otherwise must not cost an earlier sweep's results.
    listed = {}  # binary -> (its selection, the whole selection's listing when sharded, or None)
    for b in bins:
        name = os.path.basename(b)
        rc, text = listing(b)
        if rc != 0:
            die(f"{name} could not list its runs (see above); {out} was left as it was")
        if o.shard and o.shard_mode == "hash":
            si, sk = sharding.parse(o.shard)
            if sharding.part(names_of(whole[b]), si, sk) != names_of(text):
                die(f"{name}: its shard {o.shard} ({len(names_of(text))} runs) is not the part of "
                    f"its selection that the name hash assigns (docs/SWEEPS.md, Sharding); rebuild "
                    f"the binaries (./isobench build); {out} was left as it was")
        listed[b] = (text, whole.get(b) if o.shard else None)
    if o.jobs > 1 or o.probe or (o.shard and o.shard_mode == "balanced"):
        # Binaries built before --isobench_run would run everything for every task: refuse them.
        for b in bins:
            first = names_of(listed[b][0])[:1]
            if first and names_of(list_runs(b, filt + [RUN_FLAG + first[0]],
                                            show_errors=False)[1]) != first:
                die(f"{os.path.basename(b)} does not run a single named run "
                    f"(--isobench_run): it was built before --jobs and balanced shards; rebuild "
                    f"the binaries (./isobench build); {out} was left as it was")
    if not any(names_of(text) for text, _ in listed.values()) and not o.shard:
        die(f"no run matches --filter '{flt}' (see ./isobench bench --list); {out} was left as "
            f"it was")

    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        die(f"cannot create the output directory {out}: {reason(e)}; set ISOBENCH_OUT to a "
            f"directory you can write")
    os.environ["ISOBENCH_OUT"] = out
    version = os.environ["ISOBENCH_VERSION"] = git_version()
    stamp = os.path.join(out, resume.STAMP)
    sel_dir = os.path.join(out, "selection")
    if o.probe and os.path.isfile(stamp):
        # A probe starting afresh there would remove a sweep's runs, traces and checkpoints.
        try:
            was = resume.read_stamp(stamp).get("env:ISOBENCH_PROBE", "")
        except OSError as e:
            die(f"cannot read {stamp}: {reason(e)}")
        if was != "1":
            die(f"{out} holds a sweep, not a probe; probe into another directory "
                f"(ISOBENCH_OUT=..., default reports/out/probe) — {out} was left as it was")
    resuming = o.resume and os.path.isfile(stamp)
    try:
        if resuming:
            resume.check(out, o.profile, version, split=split)
            say(f"resuming the sweep in {out}: finished runs are kept, the rest run")
        else:
            if o.resume:
                say(f"--resume: no earlier sweep in {out}; starting one")
            resume.fresh_start(out)
        os.makedirs(os.path.join(out, "runs"), exist_ok=True)
        os.makedirs(sel_dir, exist_ok=True)
        # Write errors of the run logs themselves, per attempt: their runs are missing and run
        # again.
        for f in os.listdir(os.path.join(out, "runs")):
            if f.endswith(".write_errors"):
                os.remove(os.path.join(out, "runs", f))
        if not resuming:
            with open(stamp, "w") as f:
                f.write(resume.stamp_text(o.profile, version, split=split))
        for f in os.listdir(sel_dir):
            if f.endswith(".txt"):
                os.remove(os.path.join(sel_dir, f))
        shutil.rmtree(os.path.join(sel_dir, "all"), ignore_errors=True)
    except OSError as e:
        die(f"cannot prepare the sweep in {out}: {reason(e)}; nothing ran — free space or fix "
            f"the directory, then run the same command again")

    failed, selected, write_failed = False, 0, []
    t0 = time.monotonic()
    runner = Runner(capture=o.jobs > 1)
    runner.install()
    os.environ["ISOBENCH_JOBS"] = "1"  # what the binaries record as their context's "jobs"
    # OpenBLAS sizes its thread pool when it loads, before main() sets ISOBENCH_BLAS_THREADS: at
    # the default (a thread per core) the idle worker spins in sched_yield on another core — 18 %
    # of a process's CPU samples in PERF/rnn_epoch — which runs beside other jobs would feel.
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ.get("ISOBENCH_BLAS_THREADS") or "1"
    todo = []  # (binary, the names it has left to run)
    for i, b in enumerate(bins, 1):
        if runner.stopped:
            break
        name = os.path.basename(b)
        sel = os.path.join(sel_dir, name + ".txt")
        text, whole = listed[b]
        try:
            write_text(sel, text)
            if whole is not None:
                write_text(os.path.join(sel_dir, "all", name + ".txt"), whole)
        except OSError as e:
            say(f"{name} could not list its runs: {reason(e)}; its runs are skipped (free space or "
                f"fix {sel_dir}, then ./isobench bench --resume)")
            with contextlib.suppress(OSError):
                os.remove(sel)  # as the bash driver: a binary without a selection did not run
            failed = True
            continue
        names = names_of(text)
        total = len(names)
        if total == 0:
            os.remove(sel)
            continue
        selected += total
        # What is left differs from the selection only when finished runs are skipped (--resume).
        left = listing(b, runlog_flags(name), show_errors=False)[1] if o.resume else text
        n = len(names_of(left))
        if n == 0:
            say(f"[{i}/{len(bins)}] {name}: all {total} runs already finished")
            continue
        rest = f" (of {total}; the rest finished earlier)" if n != total else ""
        if o.jobs > 1:
            say(f"[{i}/{len(bins)}] {name}: {n} runs{rest}")
            todo.append((b, names_of(left)))
            continue
        say(f"[{i}/{len(bins)}] {name}: {n} runs{rest} (elapsed {int(time.monotonic() - t0)} s)")
        log = os.path.join(out, "runs", name + ".jsonl")
        result = crash.run_with_restarts(runner, b, name, bflags[b] + runlog_flags(name), log)
        if result in (crash.FAILED, crash.WRITE_FAILED):
            failed = True
        if result == crash.WRITE_FAILED:
            write_failed.append(name)
    if todo and not runner.stopped:
        blas = os.environ.get("ISOBENCH_BLAS_THREADS", "1")
        if blas.isdigit() and int(blas) > 1:
            say(f"warning: ISOBENCH_BLAS_THREADS={blas} with --jobs {o.jobs}: up to "
                f"{int(blas) * o.jobs} threads on {parallel.usable_cores()} cores")
        tasks, alone = parallel.plan(todo, estimate)
        runs = sum(len(t.runs) for t in tasks + alone)
        say(f"{runs} runs in {len(tasks) + len(alone)} processes, {o.jobs} at a time"
            + (f"; the {sum(len(t.runs) for t in alone)} PERF runs after them, alone" if alone
               else ""))
        results, peak = parallel.run(
            runner, tasks, alone, o.jobs,
            # The task's --isobench_run names narrow the binary's part (its own names, if any).
            lambda b: [f for f in bflags[b] if not f.startswith(RUN_FLAG)]
            + [runlog_flags(os.path.basename(b))[0]],
            lambda b: os.path.join(out, "runs", os.path.basename(b) + ".jsonl"))
        for name, got in results.items():
            if crash.FAILED in got or crash.WRITE_FAILED in got:
                failed = True
            if crash.WRITE_FAILED in got:
                write_failed.append(name)
        say(f"peak memory of the runs in flight at once: {peak / 1024:.0f} MiB ({o.jobs} jobs)")
    if selected == 0:
        # A shard may legitimately hold nothing of a small selection; it still writes results.json.
        if not o.shard:
            die(f"no run matches --filter '{flt}' (see ./isobench bench --list)")
        say(f"shard {o.shard} holds none of the selected runs; writing an empty results.json")

    results = os.path.join(out, "results.json")
    try:
        merged = merge_runs.merge(results, o.profile, o.shard, flt, os.path.join(out, "runs"),
                                  sel_dir, os.path.join(out, "datasets.jsonl"), write_failed,
                                  identity=dict(split, probe=True) if o.probe else split)
    except Exception:  # noqa: BLE001 — a bug must not pass for a written results.json
        import traceback
        traceback.print_exc()
        merged = 3
    # 0 written, 1 written with problems (said above), 3 not written.
    failed = failed or merged != 0
    if merged == 3:
        say(f"results.json was NOT written (see above); every finished run is in {out}/runs/ — "
            f"free space, then ./isobench bench --resume")
    else:
        say(f"results: {results} ({int(time.monotonic() - t0)} s)")
    if runner.stopped:
        sig = runner.stopped
        runner.uninstall()
        if merged != 3:
            say(f"interrupted (SIG{sig}): the run in flight was abandoned; results.json holds the "
                f"runs that finished (no report written).")
        else:
            say(f"interrupted (SIG{sig}): the run in flight was abandoned; results.json could not "
                f"be written (see above), but every finished run is in {out}/runs/.")
        say(f"to run the rest: {resume.command(out, args)}")
        return 130 if sig == "INT" else 143
    runner.uninstall()
    if merged == 3:
        die("results.json could not be written (see above); no report")
    if o.probe:
        try:
            text, _ = probe.summarize(out, full_estimate(full_table))
        except (OSError, ValueError) as e:
            die(f"the probe's table could not be written: {e}; results.json is intact")
        sys.stdout.write(text)
        say(f"the probe's table: {os.path.join(out, 'probe.txt')} (and probe.json)")
    elif o.report:
        rc = subprocess.call([PYTHON, "reports/report.py", "--out", out, results])
        if rc != 0:
            say("the report failed (see above); results.json is intact")
            failed = True
    if failed:
        die("some runs failed or reported errors (see messages above); everything that ran was "
            "written")
    return 0
