"""Which runs compare a method with its baselines, from run names alone (standard library only:
`./isobench bench --method` calls it through reports/method_runs.py before anything is built
into a report).

A run name is FAMILY/MODEL/key:value/... (docs/CONTRACT.md). A method is the value of one of
the *kind* keys `reg` (a penalty), `constraint` or `init`. The method's *group* in a name is its
kind key plus the keys that belong to it (a penalty's `norm`, `lambda`; a constraint's `margin`
and rate; an init's `gain`), and any key not in the contract's list that follows them (a key a user
method adds). A run's *context* for a kind is its name without that group. The baselines of a
method run are the runs of the same family and model with the same context: the same settings
and seed under no treatment (`reg:none`, `constraint:none`, or no such key at all) or under every
other method of that kind.
"""
import re
from collections import OrderedDict

# docs/CONTRACT.md's keys, in name order.
CONTRACT_KEYS = ["task", "dataset", "act", "init", "gain", "sw2", "sb2", "depth", "width",
                 "hidden", "length", "batch", "reg", "norm", "lambda", "constraint", "margin",
                 "opt", "lr", "m", "n", "k", "dtype", "seed"]
KINDS = ("reg", "constraint", "init")
# The keys that belong to a kind's method (the rest of the name is its context).
OWNED_KEYS = {"reg": ("norm", "lambda"), "constraint": ("margin", "rate"), "init": ("gain",)}
KIND_WORDS = {"reg": "penalty", "constraint": "constraint", "init": "initialization"}
NO_TREATMENT = "none"


def builtin_methods():
    """{kind: set of built-in method names}: the fallback for results whose context has no
    "user_methods" (written by the binaries from the method registry, which the report uses when
    present; `./isobench methods --json` lists the registry)."""
    return {
        "reg": {"none", "so", "so_gain_adjusted", "dso", "mc", "srip", "seed_notebook",
                "seed_notebook_plain"},
        "constraint": {"none", "qr", "polar", "cayley", "margin"},
        "init": {"gaussian", "orthogonal", "glorot_uniform", "glorot_normal", "he", "identity"},
    }


def split_name(name):
    """FAMILY/MODEL/key:value/... → ((FAMILY, MODEL), [(key, value), ...]) in name order."""
    parts = name.split("/")
    items = [tuple(p.split(":", 1)) for p in parts[2:] if ":" in p]
    return tuple(parts[:2]), items


def group_span(items, kind):
    """(start, end) of the kind's group in items (end exclusive), or None without the key."""
    keys = [k for k, _ in items]
    if kind not in keys:
        return None
    i = keys.index(kind)
    j = i + 1
    while j < len(items) and (keys[j] in OWNED_KEYS[kind] or keys[j] not in CONTRACT_KEYS):
        j += 1
    return i, j


def method_of(name, kind):
    """The value of the kind's key in the name, or None when the name has no such key."""
    return dict(split_name(name)[1]).get(kind)


def context(name, kind):
    """The name without the kind's group: runs with equal contexts differ only in that kind's
    method (or its absence)."""
    head, items = split_name(name)
    span = group_span(items, kind)
    if span is not None:
        items = items[:span[0]] + items[span[1]:]
    return "/".join(list(head) + [f"{k}:{v}" for k, v in items])


def treatment(name, kind):
    """The kind's group as text (e.g. 'so/norm:sum/lambda:0.01'), 'none' without the key."""
    head, items = split_name(name)
    span = group_span(items, kind)
    if span is None:
        return NO_TREATMENT
    group = items[span[0]:span[1]]
    return "/".join([group[0][1]] + [f"{k}:{v}" for k, v in group[1:]])


def methods_with_runs(names):
    """OrderedDict kind → sorted method names that some run uses ('none' excluded)."""
    found = OrderedDict((k, set()) for k in KINDS)
    for n in names:
        for k in KINDS:
            v = method_of(n, k)
            if v is not None and v != NO_TREATMENT:
                found[k].add(v)
    return OrderedDict((k, sorted(v)) for k, v in found.items())


def describe_methods(found):
    """'penalties: dso, so; constraints: qr; initializations: orthogonal' of methods_with_runs."""
    parts = [f"{KIND_WORDS[k]}: {', '.join(v)}" for k, v in found.items() if v]
    return "; ".join(parts) if parts else "none (no run has a reg:, constraint: or init: key)"


class NoRuns(ValueError):
    """The method has no run among the names."""


def kinds_of(names, method):
    """The kinds under which `method` names some run."""
    return [k for k in KINDS if any(method_of(n, k) == method for n in names)]


def select(names, method):
    """The names (in their order) of the method's runs and of their baselines. Raises NoRuns,
    whose message lists the methods that do have runs, when the method has none."""
    if method == NO_TREATMENT:
        raise NoRuns(f"'{NO_TREATMENT}' is the no-treatment baseline, not a method; methods "
                     f"with runs: {describe_methods(methods_with_runs(names))}")
    kinds = kinds_of(names, method)
    if not kinds:
        raise NoRuns(f"no run uses the method '{method}' (as reg:, constraint: or init:); "
                     f"methods with runs: {describe_methods(methods_with_runs(names))}")
    wanted = {(k, context(n, k)) for k in kinds for n in names if method_of(n, k) == method}
    return [n for n in names if any((k, context(n, k)) in wanted for k in kinds)]


# Characters with a meaning in a POSIX extended regular expression.
_ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")


def _ere_escape(s):
    return _ERE_SPECIAL.sub(r"\\\1", s)


def anchored_regex(names):
    """A POSIX extended regular expression that matches exactly the given names (whole names):
    a trie over the '/'-separated parts, so shared prefixes are written once and the pattern stays
    far below the size limit of one command-line argument."""
    if not names:
        raise ValueError("anchored_regex needs at least one name")
    root = {}
    END = None  # marks a name ending at this node
    for n in names:
        node = root
        for part in n.split("/"):
            node = node.setdefault(part, {})
        node[END] = {}

    def alternatives(node):
        alts = []
        for part, child in node.items():
            if part is END:
                continue
            rest = {p: c for p, c in child.items() if p is not END}
            if not rest:
                alts.append(_ere_escape(part))
                continue
            inner = "/" + alternatives(child)
            alts.append(_ere_escape(part) + (f"({inner})?" if END in child else inner))
        return alts[0] if len(alts) == 1 else "(" + "|".join(alts) + ")"

    return "^" + alternatives(root) + "$"
