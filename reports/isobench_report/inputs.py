"""Reading results files and traces. Nothing here raises on bad input: every problem becomes a
message (a `Problems` list) that the report prints, and what could be read is kept."""
import json
import math
import os
import re
import statistics
import sys
from collections import OrderedDict

# The sweep protocol's rules (on sys.path by this package's __init__): a run's trace file, a
# recorded shard, the shards a set of inputs lacks.
from isobench_sweep.merge_runs import jobs_of
from isobench_sweep.sharding import absent, parse_recorded
from isobench_sweep.traces import sanitize  # noqa: F401 — also the report's name for it

# Keys of a Google Benchmark entry that are not isobench counters.
NON_COUNTER_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                    "repetitions", "repetition_index", "threads", "iterations", "real_time",
                    "cpu_time", "time_unit", "error_occurred", "error_message", "aggregate_name",
                    "aggregate_unit", "label"}


def warn(msg):
    print(f"report: {msg}", file=sys.stderr)


class Problems(list):
    """Messages about the inputs, shown in the report and on stderr. `unreadable` counts inputs
    that could not be read at all (the exit code is 1 then)."""

    def __init__(self):
        super().__init__()
        self.unreadable = 0

    def add(self, msg, unreadable=False):
        self.append(msg)
        warn(msg)
        if unreadable:
            self.unreadable += 1


class Inputs:
    """The merged inputs: context, runs (name → entry, first copy wins), where each run's traces
    are, and the directories the inputs came from (for side files like rqa_phase_diagram.json)."""

    def __init__(self):
        self.context = {}
        self.runs = OrderedDict()
        self.trace_dirs = {}
        self.input_dirs = []
        self.problems = Problems()
        self.files = []
        self.shards = []  # context["shard"] of each input read ("I/K" or None)
        # Runs at once when the inputs ran (--jobs; the largest): wall times of runs that ran
        # beside others are inflated, so cost comparisons need 1 (or PERF, which runs alone).
        self.jobs = 1
        self.merged_from = []  # context["merged_from"] entries (merge_shards.py)
        self.side_dirs = []  # where merged shards came from: searched for side files last
        self._trace_cache = {}
        self._trace_notes = set()
        self._bad_traces = []

    # ------------------------------------------------------------------------------- traces
    def trace(self, name):
        """The run's trace as a list of JSON objects; None when the file is missing. Malformed
        lines are skipped (and counted once in the problems)."""
        if name in self._trace_cache:
            return self._trace_cache[name]
        path = os.path.join(self.trace_dirs.get(name, ""), sanitize(name) + ".jsonl")
        rows, bad = [], 0
        try:
            with open(path, errors="replace") as fh:
                for line in fh:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        r = json.loads(line)
                    except ValueError:
                        bad += 1
                        continue
                    if isinstance(r, dict):
                        rows.append(r)
                    else:
                        bad += 1
        except OSError:
            rows = None
        if bad:
            self._bad_traces.append((path, bad))
        self._trace_cache[name] = rows
        return rows

    def finish(self):
        """Adds the summary problems gathered while reading traces."""
        if self._bad_traces:
            n = sum(b for _, b in self._bad_traces)
            shown = ", ".join(f"`{os.path.basename(p)}`" for p, _ in self._bad_traces[:3])
            more = " …" if len(self._bad_traces) > 3 else ""
            self.problems.add(f"{len(self._bad_traces)} trace file(s) had malformed line(s) "
                              f"({n} in all) that were skipped: {shown}{more}")
            self._bad_traces = []

    def missing_trace_note(self, family, names):
        """One problem line per family listing runs whose trace is missing."""
        if not names or family in self._trace_notes:
            return
        self._trace_notes.add(family)
        shown = ", ".join(f"`{n}`" for n in names[:3]) + (" …" if len(names) > 3 else "")
        self.problems.add(f"{family}: {len(names)} run(s) have no trace file ({shown}); their "
                          f"curves are left out (traces/ must sit next to results.json)")

    def side_file(self, basename):
        """The first input directory holding `basename`, as a path; None if none does."""
        for d in self.input_dirs + self.side_dirs:
            p = os.path.join(d, basename)
            if os.path.exists(p):
                return p
        return None


def data_identity(datasets):
    """{name: what identifies the data}: the files' (role, md5 of the decompressed bytes) where
    recorded (the same files in another place compare equal), else the entry as it is."""
    out = {}
    for name, e in (datasets if isinstance(datasets, dict) else {}).items():
        files = e.get("files") if isinstance(e, dict) else None
        if files and all(isinstance(f, dict) and f.get("md5") for f in files):
            out[name] = sorted((str(f.get("role")), f["md5"]) for f in files)
        else:
            out[name] = e
    return out


def load_inputs(paths):
    """Reads every input (a results.json, or a directory holding one) into one Inputs."""
    inp = Inputs()
    for p in paths:
        f = os.path.join(p, "results.json") if os.path.isdir(p) else p
        inp.files.append(f)
        try:
            with open(f) as fh:
                d = json.load(fh)
            if not isinstance(d, dict) or not isinstance(d.get("benchmarks", []), list):
                raise ValueError("not a Google Benchmark results object (expected {\"context\": "
                                 "…, \"benchmarks\": […]})")
        except FileNotFoundError:
            hint = " (a directory input must contain results.json)" if os.path.isdir(p) else ""
            inp.problems.add(f"`{f}` does not exist{hint}; it is left out of this report",
                             unreadable=True)
            continue
        except (OSError, ValueError, UnicodeDecodeError) as e:
            inp.problems.add(f"`{f}` could not be read ({e}); it is left out of this report",
                             unreadable=True)
            continue
        fdir = os.path.dirname(os.path.abspath(f))
        if fdir not in inp.input_dirs:
            inp.input_dirs.append(fdir)
        ctx = d.get("context") if isinstance(d.get("context"), dict) else {}
        inp.shards.append(ctx.get("shard"))
        inp.jobs = max(inp.jobs, jobs_of(ctx))
        # What `isobench report` (merge_shards.py) or an interrupted `bench` recorded.
        for msg in ctx.get("merge_problems") or []:
            inp.problems.add(f"merging the shards: {msg}")
        missing = ctx.get("runs_missing") or []
        if isinstance(missing, list) and missing:
            shown = ", ".join(f"`{n}`" for n in missing[:3]) + (" …" if len(missing) > 3 else "")
            inp.problems.add(f"`{f}`: {len(missing)} selected run(s) did not finish ({shown}); "
                             f"rerun with the same options and --resume")
        for m in ctx.get("merged_from") or []:
            if isinstance(m, dict):
                inp.merged_from.append(m)
                # Side files (rqa_phase_diagram.json) may have stayed with the shards.
                if isinstance(m.get("input"), str):
                    src = os.path.dirname(os.path.abspath(m["input"]))
                    if src not in inp.side_dirs:
                        inp.side_dirs.append(src)
        if not inp.context:
            inp.context = dict(ctx)
        elif ctx.get("datasets") and (data_identity(inp.context.get("datasets"))
                                      != data_identity(ctx["datasets"])):
            inp.problems.add(f"`{f}` was run on other datasets ({ctx['datasets']}) than the "
                             f"first input ({inp.context.get('datasets')}): its numbers may not "
                             f"be comparable")
        dups, skipped = [], 0
        for b in d.get("benchmarks", []):
            name = b.get("name") if isinstance(b, dict) else None
            if not isinstance(name, str) or not name:
                skipped += 1
                continue
            # A raw Google Benchmark file (not merged by `isobench bench`) carries the
            # Iterations(1) suffix; docs/CONTRACT.md names and trace files do not.
            name = re.sub(r"/iterations:\d+$", "", name)
            if name in inp.runs:
                dups.append(name)
                continue
            inp.runs[name] = b
            inp.trace_dirs[name] = os.path.join(fdir, "traces")
        if skipped:
            inp.problems.add(f"`{f}`: {skipped} entr(y/ies) without a name skipped")
        if dups:
            shown = ", ".join(f"`{n}`" for n in dups[:5]) + (" …" if len(dups) > 5 else "")
            inp.problems.add(f"`{f}`: {len(dups)} run(s) already read from an earlier input "
                             f"(first copy kept): {shown}")
    return inp


def parse_name(name):
    """FAMILY/MODEL/key:value/... → (family, model, OrderedDict of keys)."""
    parts = name.split("/")
    keys = OrderedDict()
    for p in parts[2:]:
        if ":" in p:
            k, v = p.split(":", 1)
            keys[k] = v
    return parts[0], (parts[1] if len(parts) > 1 else ""), keys


def config_of(name):
    """The run's configuration: its name without the seed."""
    return re.sub(r"/seed:[^/]*", "", name)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def counters(b):
    """The entry's counters: finite plain numbers outside Google Benchmark's own keys."""
    return {k: v for k, v in b.items() if k not in NON_COUNTER_KEYS and is_number(v)}


TIME_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def time_ms(b):
    """Google Benchmark's real time per iteration in milliseconds, or None."""
    t, u = b.get("real_time"), b.get("time_unit", "ns")
    if not is_number(t) or u not in TIME_UNIT_MS:
        return None
    return t * TIME_UNIT_MS[u]


def value(b, c):
    """Counter `c` of entry `b`; the pseudo-counter time_ms is the real time per iteration."""
    if c == "time_ms":
        return time_ms(b)
    return counters(b).get(c)


def ok_runs(runs):
    """The runs that did not report an error."""
    return OrderedDict((n, b) for n, b in runs.items() if not b.get("error_occurred"))


def mean_spread(vals):
    """(mean, sample std (0 for one value), n) of the finite values; (None, None, 0) if none."""
    vals = [float(v) for v in vals if is_number(v)]
    if not vals:
        return None, None, 0
    m = statistics.fmean(vals)
    s = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return m, s, len(vals)


def groups_by_config(runs):
    """OrderedDict configuration → [(name, entry), ...] over seeds."""
    g = OrderedDict()
    for n, b in runs.items():
        g.setdefault(config_of(n), []).append((n, b))
    return g


# docs/CONTRACT.md's key order (labels list keys in this order).
KEY_ORDER = ["model", "task", "dataset", "act", "init", "gain", "sw2", "sb2", "depth", "width",
             "hidden", "batch", "reg", "norm", "lambda", "constraint", "margin", "opt", "lr", "steps",
             "epochs", "m", "n", "k", "dtype", "seed"]


def varying_keys(names):
    """Keys (except seed) whose value differs between the names, in name order."""
    values = OrderedDict()
    for n in names:
        _, model, k = parse_name(n)
        values.setdefault("model", set()).add(model)
        for key, v in k.items():
            if key != "seed":
                values.setdefault(key, set()).add(v)
    out = []
    for key, vs in values.items():
        present_everywhere = all(key == "model" or key in parse_name(n)[2] for n in names)
        if len(vs) > 1 or not present_everywhere:
            out.append(key)
    # σ_w², σ_b² that follow from the activation (RQC: tanh at 1.05, ReLU at 2) say nothing more.
    if "act" in out:
        for key in ("sw2", "sb2"):
            pairs = {(parse_name(n)[2].get("act"), parse_name(n)[2].get(key)) for n in names}
            if key in out and len(pairs) == len({a for a, _ in pairs}):
                out.remove(key)
    order = key_order(names[0]) if names else KEY_ORDER
    rank = {k: i for i, k in enumerate(order)}
    return sorted(out, key=lambda k: rank.get(k, len(order)))


# Compact label forms: value alone for categorical keys, a symbol for numeric ones.
LABEL_FORM = {"model": "{v}", "task": "{v}", "dataset": "{v}", "act": "{v}", "init": "{v}",
              "gain": "g={v}", "sw2": "σw²={v}", "sb2": "σb²={v}", "depth": "L={v}",
              "width": "N={v}", "hidden": "h={v}", "batch": "B={v}", "reg": "{v}",
              "norm": "{v}", "lambda": "λ={v}", "constraint": "{v}", "margin": "m={v}",
              "opt": "{v}", "lr": "lr={v}", "steps": "{v} steps",
              "epochs": "{v} epochs"}


NONE_WORDS = {"reg": "no penalty", "constraint": "unconstrained"}

# A family's own key order and label forms (Family.key_order, Family.key_labels), set by the CLI
# from the family modules before a report is written: family → (order or (), {key: form}).
FAMILY_KEYS = {}


def key_order(name):
    """The key order of the name's family: its own (FAMILY_KEYS) or the contract's KEY_ORDER."""
    return FAMILY_KEYS.get(name.split("/")[0], ((), {}))[0] or KEY_ORDER


def label_form(name, key):
    """The label form of `key` in the name's family: its own, else LABEL_FORM's, else
    'key:{v}'."""
    own = FAMILY_KEYS.get(name.split("/")[0], ((), {}))[1]
    return own.get(key) or LABEL_FORM.get(key, key + ":{v}")


def short_label(name, keys):
    """A configuration's label from only the keys that vary, compactly (e.g.
    'orthogonal g=1.25 so_gain_adjusted mean λ=0.5')."""
    _, model, k = parse_name(name)
    both = "reg" in keys and "constraint" in keys  # RQD: "none" only when neither is applied
    parts = []
    for key in keys:
        if key == "model":
            parts.append(model)
        elif key in k:
            if both and key in ("reg", "constraint") and k[key] == "none":
                continue
            if key in NONE_WORDS and k[key] == "none":
                parts.append(NONE_WORDS[key])
                continue
            parts.append(label_form(name, key).format(v=k[key]))
    if both and k.get("reg", "none") == "none" and k.get("constraint", "none") == "none":
        parts.append("none")
    return " ".join(parts) if parts else config_of(name).split("/", 1)[-1]


def gaps(inp):
    """Messages about what is missing from a sweep: shards of a --shard I/K split that no input
    holds, and configurations with fewer seeds than the rest of their family."""
    out = []
    parts = []
    for sh in inp.shards:
        if not sh:  # a run without --shard
            continue
        part = parse_recorded(str(sh))
        if part is None:
            out.append(f"an input's context.shard '{sh}' is not I/K with 0 <= I < K: which part "
                       f"of a sweep it holds is unknown")
        else:
            parts.append(part)
    for k, missing in absent(parts).items():
        if missing:
            out.append(f"shards {', '.join(f'{i}/{k}' for i in missing)} of the {k}-way split "
                       f"are not among the inputs: their runs are missing from this report")
    seeds_by_cfg = OrderedDict()
    for n in inp.runs:
        _, _, k = parse_name(n)
        if "seed" in k:
            seeds_by_cfg.setdefault(config_of(n), set()).add(k["seed"])
    # Compare seeds within a sub-grid: configurations of one family and model with the same
    # keys (RQB's fixed-rate regression runs, say, are a grid of their own).
    by_grid = OrderedDict()
    for cfg, seeds in seeds_by_cfg.items():
        fam, model, k = parse_name(cfg)
        by_grid.setdefault((fam, model, tuple(k)), []).append((cfg, seeds))
    for (fam, _, _), items in by_grid.items():
        full = set().union(*[s for _, s in items])
        short = [(c, sorted(full - s)) for c, s in items if s != full]
        if short:
            shown = "; ".join(f"`{c}` lacks seed {', '.join(m)}" for c, m in short[:3])
            more = f" (and {len(short) - 3} more)" if len(short) > 3 else ""
            out.append(f"{fam}: {len(short)} configuration(s) have fewer seeds than the others "
                       f"of their grid ({len(full)}): {shown}{more}")
    return out
