# The shell sweep tests' common start, sourced right after `set -euo pipefail` and
# here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; the test's $1 is BENCH_DIR.
# Sets root (the repository, now the working directory), pins the test data (pin_data.sh: exit
# 77 when absent), ISOBENCH_BENCH_DIR, PY, tmp (removed on exit), pgid (a sweep the test started
# in its own process group: killed on exit), fail MESSAGE.
root="$(cd "$here/../.." && pwd)"
. "$here/../pin_data.sh"
pin_test_data mnist
export ISOBENCH_BENCH_DIR="$1"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
pgid=""
cleanup() {
  [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$root"
