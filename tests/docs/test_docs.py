#!/usr/bin/python3
"""The documentation test: docs/CONTRACT.md documents what the code emits, and no file in the
repository points to a document (or repository file) it does not contain.

What is checked, and where each fact comes from:

1. Names (TestNames). Every run name the built benchmark binaries list (`--benchmark_list_tests`
   of every `bench_*` in ISOBENCH_DOCS_BENCH_DIR; ctest runs after the build, so these are the
   quick profile's names exactly as `bench` would run them) has a documented family, a model
   documented for that family, keys that are documented and appear in the documented order, and
   values documented for their key. A value is documented when docs/CONTRACT.md's key table lists
   it literally (`tanh`), or lists a pattern it matches (`<number>`, `<number>-bansal`), or — for
   a key whose row says it takes the names of methods in `methods/` — when it is the name of a
   method registered in methods/*.hpp. Every benchmarks/family_*.cpp must have its binary there:
   a missing binary is a failure, not a skip.

2. Counters (TestCounters). Counters are taken from the sources that set them, not from a run:
   the quick profile takes minutes, and a run only shows the counters its configurations reach
   (e.g. `test_acc` of TASK's MNIST runs exists only in the paper profile), while every counter
   a binary can emit is set at a call site in benchmarks/ (or named by a method's
   `measure_name`). The scan reads every `set_counter(state, "NAME", …)` and
   `counters["NAME"]`; a call site whose name is not a string literal is resolved by a rule
   below (a helper's own definition; a method's `measure_name`; RQD's `kernel_json` keys), and
   any other non-literal site FAILS the test, naming file and line — so a new counter cannot
   hide behind a variable. Every counter found must have a row in CONTRACT.md's Counters table,
   and every row must name a counter some source sets (the table stays current both ways). As a
   check of the scanner against real runs, every counter in the committed regression baseline
   (tests/regression/baseline.json, written by bench_rqb) must be among those it found.

3. References (TestReferences). In every tracked text file (`git ls-files`; the tree without
   build/ when git is absent): a mention of a Markdown document (`X.md`, `docs/X.md`,
   `../shared/…`) must resolve inside the repository — relative to the file, or to the
   repository root — and `../shared/` (outside a clone) is refused outright; a Markdown link
   `[text](path#anchor)` must resolve relative to its file, and its anchor must be a heading of
   the target; a path into the repository's top-level folders (`lib/…`, `tests/…`, `docs/…`, …)
   must exist. Placeholders (`<x>`, `*`, `NAME`, `…`) and the files `bench` generates
   (`report.md`, `reports/out/…`) are not references.

Run: ISOBENCH_DOCS_BENCH_DIR=build/release/benchmarks /usr/bin/python3 tests/docs/test_docs.py
(ctest: docs.names, docs.counters, docs.references). Standard library only.
"""

import json
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONTRACT = os.path.join(ROOT, "docs", "CONTRACT.md")

NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
BACKTICKED = re.compile(r"`([^`]+)`")
GB_SUFFIX = re.compile(r"(/(iterations|repeats|min_time|min_warmup_time|threads):[\w.]+|"
                       r"/(real_time|manual_time|process_time))+$")


# --- docs/CONTRACT.md, read as tables -------------------------------------------------------

def sections(text):
    """{'## title': body} of a Markdown file's level-2 sections."""
    out, title, lines = {}, None, []
    for line in text.splitlines():
        if line.startswith("## "):
            if title:
                out[title] = "\n".join(lines)
            title, lines = line[3:].strip(), []
        elif title:
            lines.append(line)
    if title:
        out[title] = "\n".join(lines)
    return out


def tables(body):
    """Every Markdown table of a section: (header cells, [row cells])."""
    found, rows = [], []

    def cells(line):
        line = line.strip().strip("|")
        return [c.strip() for c in re.split(r"(?<!\\)\|", line)]

    for line in body.splitlines() + [""]:
        if line.strip().startswith("|"):
            rows.append(cells(line))
        elif rows:
            if len(rows) >= 2:
                found.append((rows[0], [r for r in rows[2:]]))
            rows = []
    return found


def table_with(body, first_header):
    for header, rows in tables(body):
        if header and header[0].lower() == first_header:
            return rows
    raise AssertionError(f"docs/CONTRACT.md: no table whose first column is '{first_header}'")


def read_contract():
    with open(CONTRACT, encoding="utf-8") as f:
        secs = sections(f.read())
    for need in ("Commands", "Environment", "Outputs", "Benchmark names", "Counters"):
        if need not in secs:
            raise AssertionError(f"docs/CONTRACT.md has no section '## {need}' (code cites it)")
    return secs


# --- methods/: the names user methods register ------------------------------------------------

REGISTER = re.compile(r"^\s*ISOBENCH_REGISTER_(PENALTY|CONSTRAINT|INIT)\((\w+)\)", re.M)
KIND_KEY = {"PENALTY": "reg", "CONSTRAINT": "constraint", "INIT": "init"}


def method_names():
    """{'reg': {...}, 'constraint': {...}, 'init': {...}} from methods/*.hpp."""
    out = {"reg": set(), "constraint": set(), "init": set()}
    d = os.path.join(ROOT, "methods")
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not fn.endswith(".hpp"):
            continue
        with open(os.path.join(d, fn), encoding="utf-8") as f:
            text = f.read()
        for kind, typ in REGISTER.findall(text):
            m = re.search(r"struct\s+" + typ + r"\b.*?\bname\s*=\s*\"([a-z0-9_]+)\"", text, re.S)
            if not m:
                raise AssertionError(f"methods/{fn}: cannot read the name of {typ}")
            out[KIND_KEY[kind]].add(m.group(1))
    return out


# --- 1. names ---------------------------------------------------------------------------------

def listed_names(profile=None):
    """(family, name) of every entry the built binaries list: their own profile, or with
    profile='paper' the paper profile's grid (ISOBENCH_LIST_PROFILE; listing only)."""
    env = dict(os.environ)
    if profile:
        env["ISOBENCH_LIST_PROFILE"] = profile
    bench_dir = os.environ.get("ISOBENCH_DOCS_BENCH_DIR")
    if not bench_dir or not os.path.isdir(bench_dir):
        raise AssertionError("set ISOBENCH_DOCS_BENCH_DIR to the built benchmarks directory "
                             "(build/release/benchmarks); got " + repr(bench_dir))
    fams = sorted(f[len("family_"):-len(".cpp")]
                  for f in os.listdir(os.path.join(ROOT, "benchmarks"))
                  if f.startswith("family_") and f.endswith(".cpp"))
    names = []
    for fam in fams:
        exe = os.path.join(bench_dir, "bench_" + fam)
        if not os.access(exe, os.X_OK):
            raise AssertionError(f"{exe} is missing: build it (benchmarks/family_{fam}.cpp)")
        out = subprocess.run([exe, "--benchmark_list_tests"], capture_output=True, text=True,
                             timeout=120, env=env)
        if out.returncode != 0:
            raise AssertionError(f"{exe} --benchmark_list_tests failed: {out.stderr[-500:]}")
        # Google Benchmark's own suffixes (/iterations:1 of a fixed-iteration run, …) are not
        # isobench keys; the report strips them the same way.
        names += [(fam, GB_SUFFIX.sub("", n.strip())) for n in out.stdout.splitlines()
                  if n.strip()]
    return names


def value_ok(value, allowed, patterns):
    if value in allowed:
        return True
    for p in patterns:
        rx = "^" + re.escape(p).replace(re.escape("<number>"), NUMBER) + "$"
        if re.match(rx, value):
            return True
    return False


class TestNames(unittest.TestCase):
    maxDiff = None

    def test_every_listed_name_is_documented(self):
        secs = read_contract()
        body = secs["Benchmark names"]
        families = {}
        for row in table_with(body, "family"):
            fam = BACKTICKED.findall(row[0])
            self.assertEqual(len(fam), 1, f"family row without one `NAME`: {row}")
            families[fam[0]] = set(BACKTICKED.findall(row[-1]))
        order, allowed, patterns, takes_methods = [], {}, {}, set()
        for row in table_with(body, "key"):
            key = BACKTICKED.findall(row[0])
            self.assertEqual(len(key), 1, f"key row without one `key`: {row}")
            key = key[0]
            order.append(key)
            toks = BACKTICKED.findall(row[1])
            patterns[key] = [t for t in toks if "<number>" in t]
            allowed[key] = {t for t in toks if "<number>" not in t}
            if "methods/" in row[1]:
                takes_methods.add(key)
        user = method_names()
        for key in takes_methods:
            allowed[key] |= user.get(key, set())

        problems = []
        names = listed_names() + listed_names("paper")  # the paper's own keys (steps, epochs)
        self.assertGreater(len(names), 100, "suspiciously few names listed")
        for fam_file, name in names:
            parts = name.split("/")
            if len(parts) < 2:
                problems.append(f"{name}: not FAMILY/MODEL/…")
                continue
            fam, model = parts[0], parts[1]
            if fam not in families:
                problems.append(f"{name} (bench_{fam_file}): family {fam} is not documented")
                continue
            if model not in families[fam]:
                problems.append(f"{name}: model {model} is not documented for {fam}")
            last = -1
            for kv in parts[2:]:
                if ":" not in kv:
                    problems.append(f"{name}: '{kv}' is not key:value")
                    continue
                k, v = kv.split(":", 1)
                if k not in order:
                    problems.append(f"{name}: key '{k}' is not documented")
                    continue
                if order.index(k) <= last:
                    problems.append(f"{name}: key '{k}' out of the documented order")
                last = order.index(k)
                if not value_ok(v, allowed[k], patterns[k]):
                    problems.append(f"{name}: value '{v}' of key '{k}' is not documented")
        self.assertEqual(problems[:40], [], f"{len(problems)} undocumented name parts; "
                         "document them in docs/CONTRACT.md ## Benchmark names")


# --- 2. counters ------------------------------------------------------------------------------

SET_LITERAL = re.compile(r"set_counter\(\s*state\s*,\s*\"([A-Za-z0-9_]+)\"")
IDX_LITERAL = re.compile(r"counters\[\s*\"([A-Za-z0-9_]+)\"\s*\]")
SET_ANY = re.compile(r"set_counter\(\s*state\s*,\s*([^,]+),")
IDX_ANY = re.compile(r"counters\[\s*([^\]]+)\]")
OTHER_WRITE = re.compile(r"counters\s*\.\s*(insert|emplace|try_emplace|operator\[\])")
MEASURE_NAME = re.compile(r"\bmeasure_name\s*=\s*\"([A-Za-z0-9_]+)\"")


def source_files(*dirs):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for fn in files:
                if fn.endswith((".cpp", ".hpp")):
                    yield os.path.join(base, fn)


def json_keys_of_function(text, fname):
    """The string keys {"key", value} of the JSON literal a function `fname(...)` returns."""
    m = re.search(r"\b" + fname + r"\([^)]*\)\s*\{(.*?)\n\}", text, re.S)
    if not m:
        return None
    return re.findall(r"\{\s*\"([A-Za-z0-9_]+)\"\s*,", m.group(1))


def counters_in_sources():
    """{counter: [file:line, ...]} and [problems] from benchmarks/, methods/ and lib/."""
    found, problems = {}, []
    measures = set()
    texts = {}
    for path in source_files("benchmarks", "methods", "lib"):
        with open(path, encoding="utf-8") as f:
            texts[path] = f.read()
        measures |= set(MEASURE_NAME.findall(texts[path]))
    for path, text in texts.items():
        rel = os.path.relpath(path, ROOT)
        for no, line in enumerate(text.splitlines(), 1):
            code = line.split("//")[0]
            where = f"{rel}:{no}"
            for n in SET_LITERAL.findall(code) + IDX_LITERAL.findall(code):
                found.setdefault(n, []).append(where)
            dynamic = [e.strip() for e in SET_ANY.findall(code) if not e.strip().startswith('"')]
            dynamic += [e.strip() for e in IDX_ANY.findall(code) if not e.strip().startswith('"')]
            if OTHER_WRITE.search(code):
                problems.append(f"{where}: counters written through insert/emplace; use a "
                                "literal name so the docs test can see it")
            for expr in dynamic:
                if expr in ("name", "const std::string& name", "const char* name") and \
                        re.search(r"void set_counter\(benchmark::State& state, const "
                                  r"(std::string&|char\*) name, double v\)", text):
                    continue  # the helper itself; its callers are scanned
                if expr.endswith("measure_name"):
                    for n in measures:
                        found.setdefault(n, []).append(where + " (a method's measure_name)")
                    continue
                if rel.endswith("family_rqd.cpp") and expr == "k":
                    keys = json_keys_of_function(text, "kernel_json")
                    if keys:
                        for n in keys:
                            found.setdefault(n, []).append(where + " (kernel_json)")
                        continue
                problems.append(f"{where}: counter name '{expr}' is not a string literal and no "
                                "rule in tests/docs/test_docs.py resolves it")
    return found, problems


class TestCounters(unittest.TestCase):
    maxDiff = None

    def documented(self):
        rows = table_with(read_contract()["Counters"], "counter")
        out = set()
        for row in rows:
            names = BACKTICKED.findall(row[0])
            self.assertTrue(names, f"counter row without a `name`: {row}")
            out |= set(names)
        return out

    def test_every_counter_set_in_the_sources_is_documented(self):
        found, problems = counters_in_sources()
        self.assertGreater(len(found), 20, "the scan found suspiciously few counters")
        missing = sorted(f"{n} (set at {found[n][0]}) is missing from docs/CONTRACT.md ## Counters"
                         for n in found if n not in self.documented())
        self.assertEqual(problems + missing, [])

    def test_every_documented_counter_is_set_somewhere(self):
        found, _ = counters_in_sources()
        stale = sorted(self.documented() - set(found))
        self.assertEqual(stale, [], "docs/CONTRACT.md ## Counters names counters no source sets")

    def test_scanner_sees_the_counters_of_a_real_run(self):
        # tests/regression/baseline.json: real bench_rqb runs, committed.
        path = os.path.join(ROOT, "tests", "regression", "baseline.json")
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)["benchmarks"]
        gb = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
              "iterations", "real_time", "cpu_time", "time_unit", "family_index",
              "per_family_instance_index", "label", "error_occurred", "error_message",
              "aggregate_name", "aggregate_unit"}
        real = {k for e in entries for k in e if k not in gb}
        self.assertTrue(real)
        found, _ = counters_in_sources()
        self.assertEqual(sorted(real - set(found)), [], "counters of a real run the scan missed")


# --- 3. references ----------------------------------------------------------------------------

TOP = ("lib", "benchmarks", "tests", "reports", "scripts", "methods", "docs", "cmake", ".ci")
MD_MENTION = re.compile(r"(?<![\w/.$-])((?:\.\./|\./)*(?:[\w.-]+/)*[\w.-]+\.md)(?![\w])")
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"(?<![\w/.$-])((?:" + "|".join(re.escape(t) for t in TOP) +
                       r")/[\w./<>*{}…-]*)")
GENERATED = {"report.md"}  # written by `bench` into $ISOBENCH_OUT
GENERATED_PREFIXES = ("reports/out",)  # bench's default $ISOBENCH_OUT


def tracked_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True,
                             check=True, timeout=60)
        files = [f for f in out.stdout.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for base, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in (".git", "build", "out")]
            files += [os.path.relpath(os.path.join(base, n), ROOT) for n in names]
    for rel in sorted(files):
        if rel.startswith("tests/fixtures/") or rel == "tests/docs/test_docs.py":
            continue  # test inputs and fuzz corpora; this file's own examples of bad references
        try:
            with open(os.path.join(ROOT, rel), "rb") as f:
                raw = f.read()
        except OSError:
            continue
        if b"\0" in raw:
            continue
        try:
            yield rel, raw.decode("utf-8")
        except UnicodeDecodeError:
            continue


def slug(heading):
    h = heading.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                out.add(slug(line.lstrip("#")))
    return out


def placeholder(p):
    return any(s in p for s in ("<", ">", "*", "{", "}", "…", "NAME", "BINARY", "/X.")) or \
        re.search(r"(^|/)(my_\w+|family_x)\b", p) is not None


def resolve(rel_file, target):
    here = os.path.dirname(os.path.join(ROOT, rel_file))
    for base in (here, ROOT):
        p = os.path.normpath(os.path.join(base, target))
        if os.path.exists(p):
            return p
    return None


def reference_problems(files=None):
    problems = []
    for rel, text in (files if files is not None else tracked_files()):
        for no, line in enumerate(text.splitlines(), 1):
            where = f"{rel}:{no}"
            for m in MD_MENTION.finditer(line):
                t = m.group(1)
                if "shared/" in t and t.startswith("../"):
                    problems.append(f"{where}: '{t}' is outside the repository (use docs/)")
                    continue
                if os.path.basename(t) in GENERATED or placeholder(t) or \
                        t.startswith(GENERATED_PREFIXES):
                    continue
                if line[m.end():m.end() + 1] == "#" or line[:m.start()].endswith("]("):
                    continue  # a Markdown link: checked below with its anchor
                if resolve(rel, t) is None:
                    problems.append(f"{where}: '{t}' does not exist in the repository")
            if rel.endswith(".md"):
                for m in MD_LINK.finditer(line):
                    t = m.group(1)
                    if re.match(r"^[a-z]+:", t):
                        continue  # http:, https:, mailto:
                    path, _, anchor = t.partition("#")
                    target = os.path.join(ROOT, rel) if not path else \
                        os.path.normpath(os.path.join(os.path.dirname(os.path.join(ROOT, rel)),
                                                      path))
                    if path.startswith("../") and "shared" in path:
                        problems.append(f"{where}: link '{t}' leaves the repository")
                        continue
                    if not os.path.exists(target):
                        problems.append(f"{where}: link '{t}' points to a missing file")
                    elif anchor and target.endswith(".md") and anchor not in anchors(target):
                        problems.append(f"{where}: link '{t}': no heading '#{anchor}' there")
            for m in REPO_PATH.finditer(line):
                t = m.group(1).rstrip(".,;:)'\"`")
                if placeholder(t) or t.startswith(GENERATED_PREFIXES):
                    continue
                if not os.path.exists(os.path.join(ROOT, t)):
                    problems.append(f"{where}: '{t}' does not exist in the repository")
    return list(dict.fromkeys(problems))  # one line per reference, in file order


class TestReferences(unittest.TestCase):
    def test_the_checker_catches_what_it_should(self):
        bad = [("x/a.md", "see ../shared/CONTRACT.md and RESEARCH.md §2, lib/nowhere.hpp, "
                          "[t](docs/CONTRACT.md#no-such-heading)")]
        found = reference_problems(bad)
        self.assertEqual(len(found), 4, found)
        good = [("README.md", "see docs/CONTRACT.md, [c](docs/CONTRACT.md#counters), "
                              "$ISOBENCH_OUT/report.md, methods/my_penalty.hpp, lib/")]
        self.assertEqual(reference_problems(good), [])

    def test_no_file_points_to_a_missing_document(self):
        problems = reference_problems()
        self.assertEqual(problems, [], f"{len(problems)} dangling references:\n" +
                         "\n".join(problems))


if __name__ == "__main__":
    unittest.main(argv=sys.argv)
