#!/usr/bin/env bash
# The C++ sources are formatted by the repository's .clang-format (Google style, 100 columns,
# comments not reflowed so formula blocks keep their lines): `clang-format --dry-run -Werror` on
# every .cpp/.hpp of lib/, benchmarks/, tests/ and methods/; and, since clang-format leaves
# comments alone, no line over 100 characters outside `// clang-format off/on` blocks. Fails
# naming each file and line; the fix is `clang-format -i FILE` (or `git clang-format` on a
# change), and rewrapping an overlong comment by hand.
set -euo pipefail
root="$1"
cd "$root"
command -v clang-format >/dev/null \
  || { echo "format: clang-format is not installed (./isobench test installs it: apt-get install clang-format)" >&2; exit 1; }
mapfile -t files < <(find lib benchmarks tests methods -name '*.cpp' -o -name '*.hpp' | sort)
[ ${#files[@]} -gt 50 ] || { echo "format: found only ${#files[@]} C++ files under $root" >&2; exit 1; }
if ! out="$(clang-format --dry-run -Werror "${files[@]}" 2>&1)"; then
  printf '%s\n' "$out" | grep -E '^[^ ].*(warning|error):' >&2 || printf '%s\n' "$out" >&2
  echo "format: the files above are not clang-formatted; run clang-format -i on them" >&2
  exit 1
fi
# Overlong lines, counted in characters (UTF-8: a formula's σ is one column).
if ! /usr/bin/python3 - "${files[@]}" <<'PY'
import sys
bad = 0
for f in sys.argv[1:]:
    off = False
    with open(f, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if "clang-format off" in line:
                off = True
            elif "clang-format on" in line:
                off = False
            elif not off and len(line) > 100:
                print(f"{f}:{n}: {len(line)} characters (limit 100)", file=sys.stderr)
                bad += 1
sys.exit(1 if bad else 0)
PY
then
  echo "format: the lines above are over 100 characters; rewrap them" >&2
  exit 1
fi
echo "format: ${#files[@]} C++ files formatted ($(clang-format --version | head -1))"
