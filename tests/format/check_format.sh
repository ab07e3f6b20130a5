#!/usr/bin/env bash
# The C++ sources are formatted by the repository's .clang-format (Google style, 100 columns,
# comments not reflowed so formula blocks keep their lines): `clang-format --dry-run -Werror` on
# every .cpp/.hpp of lib/, benchmarks/, tests/ and methods/. Fails naming each file and line;
# the fix is `clang-format -i FILE` (or `git clang-format` on a change).
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
echo "format: ${#files[@]} C++ files formatted ($(clang-format --version | head -1))"
