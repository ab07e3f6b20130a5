#!/usr/bin/python3
"""The library's layout is its pipeline: every header and source sits in one stage folder and
includes only its own or earlier stages (docs/ARCHITECTURE.md).

Usage: test_stages.py REPO_ROOT STAGE...   (the stages in dependency order, from lib/CMakeLists.txt)

Checked, each failure named by file and line:
  - lib/include/isobench/ and lib/src/ hold only the listed stage folders (no loose file, no
    unlisted folder), and every listed stage exists;
  - every `#include "isobench/<stage>/<file>.hpp"` in a stage's file names a stage no later than
    its own and a header that exists; `#include "isobench/<file>.hpp"` without a stage is refused;
  - a source lib/src/<stage>/x.cpp has its header in the same stage (when it has one);
  - methods/*.hpp (user plug-ins) include at most the ortho stage;
  - tests/<stage>/ exist only for listed stages (tests mirror lib/).
"""
import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s+"isobench/([^"]+)"')


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

    def scan(path: Path, limit: int, who: str):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
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
                if f.suffix in (".hpp", ".cpp"):
                    scan(f, order[s], f"stage {s}")
                    if base is src and f.suffix == ".cpp":
                        header = f.with_suffix(".hpp").name
                        for other in stages:
                            if other != s and (inc / other / header).is_file():
                                errors.append(f"{f.relative_to(root)}: its header is "
                                              f"lib/include/isobench/{other}/{header}; keep a "
                                              "source in its header's stage")
    for f in sorted((root / "methods").glob("*.hpp")):
        scan(f, order["ortho"], "a user method")
    for d in sorted((root / "tests").iterdir()):
        if d.is_dir() and any(d.glob("test_*.cpp")) and d.name not in order \
                and d.name not in ("bench", "fuzz"):
            errors.append(f"tests/{d.name}/: test folders mirror lib/'s stages; "
                          f"{d.name} is not one")
    return errors


def main() -> int:
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
