#!/usr/bin/python3
"""The library's layout is its pipeline: every header and source sits in one stage folder and
includes only its own or earlier stages (docs/ARCHITECTURE.md).

Usage: test_stages.py REPO_ROOT STAGE...   (the stages in dependency order, from lib/CMakeLists.txt)
       test_stages.py --self-test STAGE...   (the check against a small tree with every violation)

Checked, each failure named by file and line:
  - lib/include/isobench/ and lib/src/ hold only the listed stage folders (no loose file, no
    unlisted folder), and every listed stage exists;
  - only .hpp and .cpp files sit in the stage folders (a .h, .ipp, .inl would escape the check);
  - every include of an isobench header — `"isobench/<stage>/<file>.hpp"`, the same in angle
    brackets, or a relative path such as `"../train/x.hpp"` resolved from the including file —
    names a stage no later than its own and a header that exists; `"isobench/<file>.hpp"`
    without a stage is refused;
  - a source lib/src/<stage>/x.cpp has its header in the same stage (when it has one);
  - methods/*.hpp (user plug-ins) include at most the ortho stage, and methods/ holds no other
    C++ file (the build reads only methods/*.hpp: a .cpp there would be ignored silently);
  - tests/<stage>/ exist only for listed stages (tests mirror lib/).
"""
import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
CPP_SUFFIXES = (".hpp", ".cpp", ".h", ".hh", ".hxx", ".cc", ".cxx", ".ipp", ".inl", ".tpp")


def check(root: Path, stages: list) -> list:
    order = {s: i for i, s in enumerate(stages)}
    inc, src = root / "lib/include/isobench", root / "lib/src"
    errors = []
    for base in (inc, src):
        for entry in sorted(base.iterdir()):
            rel = entry.relative_to(root)
            if entry.is_file():
                errors.append(f"{rel}: outside any stage folder; move it into one of "
                              f"{', '.join(stages)} (lib/CMakeLists.txt ISOBENCH_STAGES)")
            elif entry.name not in order:
                errors.append(f"{rel}/: not a stage; add it to ISOBENCH_STAGES in "
                              "lib/CMakeLists.txt (in dependency order) or move its files")
        for s in stages:
            if not (base / s).is_dir():
                errors.append(f"{(base / s).relative_to(root)}/: stage {s} has no folder")

    def isobench_target(path: Path, quote: str, target: str):
        """The include's path below lib/include/isobench/, or None when it is not an isobench
        header (a system or library header, a private header beside the source)."""
        if target.startswith("isobench/"):
            return target[len("isobench/"):]
        if quote == '"':
            resolved = (path.parent / target).resolve()
            try:
                return resolved.relative_to(inc.resolve()).as_posix()
            except ValueError:
                return None
        return None

    def scan(path: Path, limit: int, who: str):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = isobench_target(path, m.group(1), m.group(2))
            if target is None:
                continue
            parts = target.split("/")
            rel = path.relative_to(root)
            if len(parts) != 2:
                errors.append(f"{rel}:{n}: includes \"isobench/{target}\"; name its stage "
                              "(\"isobench/<stage>/<file>.hpp\")")
                continue
            stage = parts[0]
            if stage not in order:
                errors.append(f"{rel}:{n}: includes unknown stage \"{stage}\"")
            elif order[stage] > limit:
                errors.append(f"{rel}:{n}: {who} includes \"isobench/{target}\" from the later "
                              f"stage {stage}; move the code or the dependency (stage order: "
                              f"{' → '.join(stages)})")
            elif not (inc / target).is_file() and target != "ortho/method_lists.hpp":
                errors.append(f"{rel}:{n}: includes \"isobench/{target}\", which does not exist")

    for s in stages:
        for base in (inc, src):
            d = base / s
            if not d.is_dir():
                continue
            for f in sorted(d.rglob("*")):
                if f.is_file() and f.suffix not in (".hpp", ".cpp"):
                    errors.append(f"{f.relative_to(root)}: only .hpp and .cpp files belong in a "
                                  "stage folder (rename it, or move it out of lib/)")
                    continue
                if f.suffix in (".hpp", ".cpp"):
                    scan(f, order[s], f"stage {s}")
                    if base is src and f.suffix == ".cpp":
                        header = f.with_suffix(".hpp").name
                        for other in stages:
                            if other != s and (inc / other / header).is_file():
                                errors.append(f"{f.relative_to(root)}: its header is "
                                              f"lib/include/isobench/{other}/{header}; keep a "
                                              "source in its header's stage")
    for f in sorted((root / "methods").glob("*")):
        if f.suffix == ".hpp":
            scan(f, order["ortho"], "a user method")
        elif f.suffix in CPP_SUFFIXES:
            errors.append(f"methods/{f.name}: the build reads only methods/*.hpp, so this file "
                          "would be ignored; put the method in a .hpp")
    for d in sorted((root / "tests").iterdir()):
        if d.is_dir() and any(d.glob("test_*.cpp")) and d.name not in order \
                and d.name not in ("bench", "fuzz"):
            errors.append(f"tests/{d.name}/: test folders mirror lib/'s stages; "
                          f"{d.name} is not one")
    return errors


def self_test(stages: list) -> int:
    """The check on a small tree that breaks every rule once, and on the same tree mended."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for s in stages:
            for base in ("lib/include/isobench", "lib/src"):
                (root / base / s).mkdir(parents=True)
        (root / "methods").mkdir()
        (root / "tests").mkdir()
        first, last = stages[0], stages[-1]
        inc = root / "lib/include/isobench"
        (inc / last / "late.hpp").write_text("#pragma once\n")
        (inc / first / "ok.hpp").write_text("#pragma once\n")
        if not check(root, stages) == []:
            print("self-test: a clean tree was refused", file=sys.stderr)
            return 1
        cases = {
            "quoted": (inc / first / "a.hpp", f'#include "isobench/{last}/late.hpp"\n'),
            "angle": (inc / first / "b.hpp", f"#include <isobench/{last}/late.hpp>\n"),
            "relative": (inc / first / "c.hpp", f'#include "../{last}/late.hpp"\n'),
            "no stage": (inc / first / "d.hpp", '#include "isobench/late.hpp"\n'),
            "missing": (inc / first / "e.hpp", f'#include "isobench/{first}/nothere.hpp"\n'),
            "suffix": (inc / first / "f.ipp", "\n"),
            "loose": (inc / "g.hpp", "\n"),
            "methods cpp": (root / "methods" / "m.cpp", "\n"),
            "methods late": (root / "methods" / "m.hpp", f'#include "isobench/{last}/late.hpp"\n'),
        }
        failed = 0
        for what, (path, text) in cases.items():
            path.write_text(text)
            errors = check(root, stages)
            path.unlink()
            if len(errors) != 1 or path.name not in errors[0]:
                print(f"self-test: {what}: expected one error naming {path.name}, got {errors}",
                      file=sys.stderr)
                failed += 1
        if failed:
            return 1
        print(f"layout self-test: {len(cases)} violations each caught, the clean tree passes")
        return 0


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2:])
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, stages = Path(sys.argv[1]), sys.argv[2:]
    errors = check(root, stages)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"layout: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    n = sum(1 for s in stages for b in ("include/isobench", "src")
            for f in (root / "lib" / b / s).rglob("*") if f.suffix in (".hpp", ".cpp"))
    print(f"layout: {n} files in {len(stages)} stages, every include in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
