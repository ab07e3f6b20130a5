"""What a sweep costs: per-run CPU estimates, the --list summary and cost-balanced shards.

The committed table sweep/costs/costs.json (docs/SWEEPS.md, "What a sweep costs") holds
  - per profile, runs measured on the reference machine (seconds of one core, whole run);
  - per family, the profile's budgets that a run's name does not carry (steps, epochs, samples,
    evaluation sizes, sequence lengths) — copied from benchmarks/family_*.cpp;
  - per family, the fitted scaling model  cost = a + b · G  (seconds), G = the run's work in
    GFLOP counted by work() below from its name and the budgets. a is the fixed cost of a run
    (setup, data, evaluation overheads that do not scale), b the family's seconds per GFLOP.
    What G counts per family (the dominant terms only; fwd = a forward pass of one sample):
      RQA   2·D·N³ (the Jacobian's D products) + 8·N³ (its SVD)                  depth, width³
      RQA (rnn)  S·(3·L·H³ + 8·H³): per step about one H³ GEMM's work plus a share of a QR step
            (factors are grouped between QR steps; 3 fits the measured quick grid, 45 s), per
            sequence one SVD; S = the budgets' rnn_sequences             length, hidden³
      RQB   1000 nominal steps of (10·784² + 30·D·N² + 20·784·N), × (1 + D/8): the runs stop at
            the target (not the budget) and deeper nets take more steps; × 16 rates for a grid
            run, × 1 for a fixed-rate one                                        depth, width²
      RQC   steps·3·B·fwd + (evaluations·(train+val evaluated) + test)·fwd,
            fwd = 2(784·N + (D−2)·N² + 10·N); + 2·(2(D−2)N³ + 8N³) for the at-init Jacobian
                                                             steps, depth, width², samples
      RQE   as RQC's training and evaluation terms, + a penalty's 4·(D−2)·N³ per step
      RQD, SEED, TASK (rnn)   steps·3·B·T·2(H² + I·H) + evaluations·samples·T·2(H² + I·H)
            + a constraint's / penalty's O(H³) per step; steps = epochs·⌈train/B⌉ or the budget
                                                 hidden², length, steps, epochs, samples
      SENT, TASK (lstm)   the same with 4 gates: 2·4H(H + E) per step of a sample (E the input)
      PERF  measured per run (a PERF run iterates for Google Benchmark's minimum time); a PERF
            run the table lacks gets the family's intercept (the mean measured PERF run).
    A profile-independent run (RQB's fixed-rate runs, RQA/phase_diagram, most of PERF) uses its
    quick-profile measurement in the paper profile.
Estimates are for this machine's speed: what matters for the summary and the shard split is the
runs' relative cost. The paper profile assumes the full MNIST (48,000 training digits after the
80/20 split, `./isobench data`); load(..., mnist="10k") gives the estimates for CI's 10k digits.

Interface (the sweep driver calls these; standard library only):
  load(root, profile, mnist=None) -> Table          CostTableError on a missing/malformed table
  Table.digest, Table.estimate(name)                seconds of one core
  summary_lines(names, table, jobs) -> ["# ..."]
  balanced_parts(names, table, k) -> k lists        longest first onto the least-loaded shard
  makespan_ratio(parts, table) -> float
"""
import hashlib
import heapq
import json
import math
import os
import re

from .binaries import strip_iter

TABLE = os.path.join("sweep", "costs", "costs.json")
PROFILES = ("quick", "paper")
MNIST_TRAIN = {"full": 48000, "10k": 8000}  # training digits after the 80/20 split
MNIST_VAL = {"full": 12000, "10k": 2000}


class CostTableError(Exception):
    """The cost table is missing or malformed, or a run's cost cannot be estimated (the message
    names the file or the run and says what to do)."""


def parse_name(name):
    """'FAM/model/k:v/...' -> (family, model, {key: value string}). Google Benchmark's
    '/iterations:1' suffix is dropped."""
    parts = strip_iter(name).split("/")
    keys = {}
    for p in parts[2:]:
        k, sep, v = p.partition(":")
        if sep:
            keys[k] = v
    return parts[0], parts[1] if len(parts) > 1 else "", keys


class _NoEstimate(Exception):
    pass


def _num(keys, k, name):
    try:
        return float(keys[k])
    except (KeyError, ValueError):
        raise _NoEstimate(f"its name has no number '{k}:'") from None


def _mlp_fwd(depth, width, inputs=784, outputs=10):
    """FLOP of one sample's forward pass through an MLP of `depth` weight matrices."""
    if depth <= 1:
        return 2.0 * inputs * outputs
    return 2.0 * (inputs * width + (depth - 2) * width * width + width * outputs)


def _rnn_step(hidden, inputs, gates=1):
    """FLOP of one time step of one sample's forward pass (gates = 4 for an LSTM)."""
    return 2.0 * gates * hidden * (hidden + inputs)


# O(H³) per optimizer step of a constraint or penalty on an H × H kernel, in units of H³.
_CONSTRAINT_H3 = {"none": 0, "qr": 4, "cayley": 10, "margin": 20, "polar": 20}
_PENALTY_H3 = {"none": 0, "dso": 8}
_PENALTY_DEFAULT_H3 = 4  # so, mc, srip, seed_notebook, a user's penalty: a Gram and its gradient


def _treatment_h3(keys):
    c = keys.get("constraint", "none")
    r = keys.get("reg", "none")
    return _CONSTRAINT_H3.get(c, 10) + _PENALTY_H3.get(r, _PENALTY_DEFAULT_H3)


def _mnist_sizes(budget, dataset, mnist):
    """(train, val, test) samples of a run's split: budget caps 'max_train'."""
    if dataset == "fashion-mnist":
        train, val = 48000, 12000
    else:
        train, val = MNIST_TRAIN[mnist], MNIST_VAL[mnist]
    cap = budget.get("max_train", 0)
    if cap and cap > 0:
        train = min(train, cap)
    return train, val, 10000


def work(name, budgets, mnist):
    """The run's work G in GFLOP (the model's input), from its name and its family's budgets of
    one profile ({key: number}); raises _NoEstimate with the reason."""
    fam, model, k = parse_name(name)
    b = budgets
    if fam == "RQA":
        if model == "rnn":
            h, steps = _num(k, "hidden", name), _num(k, "length", name)
            return b["rnn_sequences"] * (steps * 3 + 8) * h ** 3 / 1e9
        if model != "mlp":
            raise _NoEstimate(f"RQA has no model for '{model}' runs")
        d, n = _num(k, "depth", name), _num(k, "width", name)
        return (2 * d * n ** 3 + 8 * n ** 3) / 1e9
    if fam == "RQB":
        d, n = _num(k, "depth", name), _num(k, "width", name)
        per_step = 10 * 784 ** 2 + 30 * d * n * n + 20 * 784 * n
        rates = 1 if "lr" in k else b["rates"]  # a fixed-rate run: one rate
        return rates * 1000 * per_step * (1 + d / 8) / 1e9  # 1000 nominal steps per rate
    if fam in ("RQC", "RQE"):
        d, n = _num(k, "depth", name), _num(k, "width", name)
        train, val, test = _mnist_sizes(b, k.get("dataset", "mnist"), mnist)
        fwd = _mlp_fwd(int(d), n)
        # An entry with its own budget names it (RQC's `steps:500`), estimated with the profile's
        # evaluation settings (for `steps:500`: 2 evaluations of 7,000 samples where it runs 11
        # of 3,000 — about 15 % under; the measured cost is in its reference's README).
        steps = _num(k, "steps", name) if "steps" in k else b["steps"]
        evals = steps // b["eval_every"] + 1
        ev = (b["eval_train"] + (min(b["eval_val"], val) if b["eval_val"] else val))
        test = b["test"] or test
        g = (steps * 3 * b["batch"] + evals * ev + test) * fwd
        if fam == "RQC":
            g += 2 * (2 * (d - 2) * n ** 3 + 8 * n ** 3)
        elif k.get("reg", "none") != "none" or k.get("constraint", "none") != "none":
            g += steps * max(d - 2, 0) * _treatment_h3(k) * n ** 3
        return g / 1e9
    if fam in ("RQD", "SEED"):
        return _recurrent_mnist(fam, k, b, mnist, name) / 1e9
    if fam == "SENT":
        h, batch = _num(k, "hidden", name), _num(k, "batch", name)
        fast = k.get("lr") == b.get("fast_lr")
        epochs = b["fast_epochs"] if fast else b["epochs"]
        half = k.get("n") == "5330"
        pool = b["train_half"] if half else b["train_all"]
        train = pool if fast or not b["max_train"] else min(pool, b["max_train"])
        val = b["val_half"] if half else b["val_all"]
        per = b["length"] * _rnn_step(h, b["dim"], gates=4)
        steps = epochs * math.ceil(train / batch)
        g = steps * 3 * batch * per + ((epochs + 1) * val + val) * per
        g += steps * _treatment_h3(k) * 4 * h ** 3  # the 4H × H kernel
        return g / 1e9
    if fam == "TASK":
        return _task(model, k, b, mnist, name) / 1e9
    if fam == "PERF":
        return 0.0
    raise _NoEstimate(f"the cost model has no family '{fam}'")


def _recurrent_mnist(fam, k, b, mnist, name):
    """RQD and SEED: a tanh RNN on MNIST read as a sequence, epochs over the training part."""
    h, batch = _num(k, "hidden", name), _num(k, "batch", name)
    task = k.get("task", "rowmnist")
    t, i = (28, 28) if task == "rowmnist" else (784, 1)
    epochs = b["epochs_" + task] if ("epochs_" + task) in b else b["epochs"]
    train, val, test = _mnist_sizes(b, k.get("dataset", "mnist"), mnist)
    per = t * _rnn_step(h, i)
    steps = epochs * math.ceil(train / batch)
    evals = (epochs + 1) * (b.get("eval_train", 0) + val) + test
    return steps * (3 * batch * per + _treatment_h3(k) * h ** 3) + evals * per


def _task(model, k, b, mnist, name):
    h, batch = _num(k, "hidden", name), _num(k, "batch", name)
    task = k.get("task")
    gates = 4 if model == "lstm" else 1
    if model not in ("rnn", "lstm"):
        raise _NoEstimate(f"TASK has no model for '{model}' runs")
    treat = _treatment_h3(k) * h ** 3
    if task in ("copy", "adding"):
        t = b["copy_T"] + 20 if task == "copy" else b["adding_T"]
        i, o = (10, 9) if task == "copy" else (2, 1)
        per = t * (_rnn_step(h, i, gates) + (2 * h * o if task == "copy" else 0))
        steps = b["steps"]
        evals = (steps // b["eval_every"] + 1) * b["eval_samples"]
        return steps * (3 * batch * per + treat) + evals * per
    if task in ("pixelmnist", "permmnist"):
        train, val, test = _mnist_sizes(b, "mnist", mnist)
        per = 784 * _rnn_step(h, 1, gates)
        epochs = _num(k, "epochs", name) if "epochs" in k else b["mnist_epochs"]  # its own
        steps = epochs * math.ceil(train / batch)
        evals = (epochs + 1) * (b["eval_train"] + val) + test
        return steps * (3 * batch * per + treat) + evals * per
    raise _NoEstimate(f"TASK has no model for the task '{task}'")


class Table:
    """The cost table for one profile. digest: sha256 hex of the table file's bytes."""

    def __init__(self, path, data, digest, profile, mnist):
        self.path, self.digest, self.profile, self.mnist = path, digest, profile, mnist
        self._measured = data["measured"].get(profile, {})
        self._quick = data["measured"].get("quick", {})
        self._families = data["families"]
        self._cache = {}

    def model_estimate(self, name):
        """The scaling model's seconds for name (ignores measured runs); CostTableError when the
        model cannot estimate it."""
        fam = parse_name(name)[0]
        f = self._families.get(fam)
        if f is None:
            raise CostTableError(f"no cost estimate for run '{name}': the cost model has no "
                                 f"family '{fam}' ({self.path}); add it (sweep/costs/fit.py, "
                                 f"docs/SWEEPS.md \"What a sweep costs\")")
        try:
            g = work(name, f["budgets"][self.profile], self.mnist)
        except _NoEstimate as e:
            raise CostTableError(f"no cost estimate for run '{name}': {e} ({self.path}); extend "
                                 f"the model in sweep/isobench_sweep/costs.py") from None
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            # A table (e.g. $ISOBENCH_COSTS) whose budgets lack a key or hold a bad value.
            raise CostTableError(f"no cost estimate for run '{name}': the {self.profile} budgets "
                                 f"of family {fam} in {self.path} are incomplete or invalid "
                                 f"({type(e).__name__}: {e}); refit the table with "
                                 f"sweep/costs/fit.py") from None
        return f["a"] + f["b"] * g

    def estimate(self, name):
        """Seconds of one core for run `name` (either profile's names; '/iterations:1' ignored):
        the measured value when the table has it for this profile (or, for a run that is the
        same in both profiles, the quick one), else the model (× the family's profile scale).
        Raises CostTableError for a name the model cannot estimate."""
        name = strip_iter(name)
        c = self._cache.get(name)
        if c is not None:
            return c
        fam = parse_name(name)[0]
        f = self._families.get(fam, {})
        same = any(re.search(p, name) for p in f.get("profile_free", []))
        scale = f.get("paper_scale", {}) if self.profile == "paper" else {}
        if name in self._measured:
            c = float(self._measured[name])
        elif self.profile != "quick" and same and name in self._quick:
            c = float(self._quick[name])
        elif self.profile != "quick" and name in self._quick and _scaled(scale, name):
            c = float(self._quick[name]) * _scaled(scale, name)
        else:
            c = self.model_estimate(name)
        if not (isinstance(c, float) and math.isfinite(c) and c > 0):
            raise CostTableError(f"cost estimate for run '{name}' is {c!r}, not a positive "
                                 f"number ({self.path}): refit it with sweep/costs/fit.py")
        self._cache[name] = c
        return c


def _scaled(scale, name):
    """The factor of the first regex of scale ({regex: factor}) that name matches, or 0."""
    for pattern, factor in scale.items():
        if re.search(pattern, name):
            return float(factor)
    return 0.0


def mnist_present(root, environ=None):
    """'full' when the MNIST the runs would read is the full training set, '10k' when it is the
    10,000 training digits, None when neither is found. The locations and their order are the
    data stage's (lib/src/data/datasets.cpp data_search_path): $ISOBENCH_DATA_DIR/mnist,
    $ISOBENCH_ROOT (default root)/data/mnist, then ../shared/data/mnist beside it."""
    environ = os.environ if environ is None else environ
    top = environ.get("ISOBENCH_ROOT") or root
    dirs = [os.path.join(environ["ISOBENCH_DATA_DIR"], "mnist")] \
        if environ.get("ISOBENCH_DATA_DIR") else []
    dirs += [os.path.join(top, "data", "mnist"), os.path.join(top, "..", "shared", "data", "mnist")]
    for d in dirs:
        for stem, kind in (("train-images-idx3-ubyte", "full"),
                           ("train-10k-images-idx3-ubyte", "10k")):
            if any(os.path.exists(os.path.join(d, stem + ext)) for ext in ("", ".gz")):
                return kind
    return None


def load(root, profile, mnist=None, path=None):
    """The cost table under repository root `root` (or at `path`: $ISOBENCH_COSTS, a table
    measured elsewhere) for `profile` ('quick' or 'paper'). mnist: 'full' or '10k' (the MNIST
    training digits present; default: '10k' for quick as measured, 'full' for paper). Raises
    CostTableError naming the file when it is missing, unreadable or malformed."""
    path = path or os.path.join(root, TABLE)
    if profile not in PROFILES:
        raise CostTableError(f"no cost estimates for profile '{profile}' (known: quick, paper)")
    if mnist is None:
        mnist = "10k" if profile == "quick" else "full"
    if mnist not in MNIST_TRAIN:
        raise CostTableError(f"mnist must be 'full' or '10k', not '{mnist}'")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise CostTableError(f"cannot read the cost table {path}: {e.strerror}; restore it from "
                             f"git (git checkout -- {TABLE}) or refit it with "
                             f"sweep/costs/fit.py") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        _check(data)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise CostTableError(f"the cost table {path} is malformed ({e}); restore it from git "
                             f"(git checkout -- {TABLE}) or refit it with "
                             f"sweep/costs/fit.py") from None
    return Table(path, data, hashlib.sha256(raw).hexdigest(), profile, mnist)


def _check(data):
    if not isinstance(data, dict) or data.get("format") != 1:
        raise ValueError("not a format-1 cost table")
    for p, runs in data["measured"].items():
        for n, s in runs.items():
            if not (isinstance(s, (int, float)) and math.isfinite(s) and s > 0):
                raise ValueError(f"measured {p} run '{n}' has cost {s!r}")
    for fam, f in data["families"].items():
        for key in ("a", "b"):
            v = f[key]
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"family {fam}: coefficient {key} is {v!r}")
        for p in PROFILES:
            if not isinstance(f["budgets"][p], dict):
                raise ValueError(f"family {fam}: budgets of {p} are not an object")


def human(seconds):
    """Seconds as '42 s', '7.5 min' or '3.2 h'."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _lpt(costs, k):
    """Longest processing time first: indices of costs (a list) onto k bins, each to the bin
    with the least load (ties: the lower bin); equal costs in their order. -> (bins, loads)."""
    order = sorted(range(len(costs)), key=lambda i: (-costs[i], i))
    heap = [(0.0, b) for b in range(k)]
    bins = [[] for _ in range(k)]
    loads = [0.0] * k
    for i in order:
        load, b = heapq.heappop(heap)
        bins[b].append(i)
        loads[b] = load + costs[i]
        heapq.heappush(heap, (loads[b], b))
    return bins, loads


def balanced_parts(names, table, k):
    """names split into k shards of about equal estimated cost: longest first onto the least
    loaded shard (ties: the lower shard index; names of equal cost: in their order); each part
    keeps the order of names. Deterministic: every array task computes the same split alone.
    Raises CostTableError for a name without an estimate, ValueError for k < 1."""
    if k < 1:
        raise ValueError(f"k must be >= 1, not {k}")
    costs = [table.estimate(n) for n in names]
    bins, _ = _lpt(costs, k)
    return [[names[i] for i in sorted(b)] for b in bins]


def makespan_ratio(parts, table):
    """The estimated makespan (the costliest part) over the mean part cost; 1.0 is perfect."""
    loads = [sum(table.estimate(n) for n in p) for p in parts]
    mean = sum(loads) / len(loads) if loads else 0.0
    return max(loads) / mean if mean > 0 else 1.0


def wall_seconds(names, table, jobs):
    """Estimated wall time of names at --jobs jobs: the non-PERF runs longest first onto jobs
    workers, then the PERF runs one after another, alone."""
    perf = [table.estimate(n) for n in names if parse_name(n)[0] == "PERF"]
    rest = [table.estimate(n) for n in names if parse_name(n)[0] != "PERF"]
    _, loads = _lpt(rest, max(1, jobs))
    return max(loads, default=0.0) + sum(perf)


def summary_lines(names, table, jobs):
    """The --list summary, every line starting with '# ': estimated CPU time per family (in the
    order families first appear) and in total, and the wall time at --jobs jobs."""
    per, count = {}, {}
    for n in names:
        fam = parse_name(n)[0]
        per[fam] = per.get(fam, 0.0) + table.estimate(n)
        count[fam] = count.get(fam, 0) + 1
    data = "full MNIST" if table.mnist == "full" else "10k MNIST digits"
    lines = [f"# estimated CPU time, one core ({table.profile} profile, {data}; "
             f"{os.path.relpath(table.path)}):"]
    for fam in per:
        lines.append(f"#   {fam:<5} {count[fam]:>5} runs  {human(per[fam]):>9}")
    total = sum(per.values())
    lines.append(f"#   total {len(names):>5} runs  {human(total):>9}")
    perf = per.get("PERF", 0.0)
    note = f", PERF's {human(perf)} alone after the others" if perf else ""
    lines.append(f"# estimated wall time at --jobs {jobs}: "
                 f"{human(wall_seconds(names, table, jobs))}{note}")
    return lines
