#!/usr/bin/env bash
# Builds the optional libtorch peer (benchmarks/peers/libtorch_seed_rnn.cpp) with g++ against
# Debian's libtorch-dev, into build/peers/libtorch_seed_rnn (or $ISOBENCH_PEERS_BUILD_DIR), and
# prints the binary's path. Rebuilds only when the source is newer than the binary. Not part of the
# CMake build: the peer is optional and ./isobench build/test never needs it.
#
# Without libtorch-dev (dpkg-query does not report it installed) it prints "skipped: libtorch-dev
# not installed (...)" and exits 0, so callers skip the peer; a failed compile exits 1 with g++'s
# message.
#
# usage: benchmarks/peers/build_libtorch_peer.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/benchmarks/peers/libtorch_seed_rnn.cpp"
out_dir="${ISOBENCH_PEERS_BUILD_DIR:-$root/build/peers}"
bin="$out_dir/libtorch_seed_rnn"

status="$(dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null || true)"
if [ "$status" != "install ok installed" ]; then
  echo "skipped: libtorch-dev not installed (apt-get install libtorch-dev to add the libtorch peer)"
  exit 0
fi
files="$(dpkg -L libtorch-dev)"
# The include roots: the one holding torch/torch.h's api tree and the one holding ATen/ and c10/.
api_inc="$(printf '%s\n' "$files" | grep -m1 '/torch/csrc/api/include/torch/torch\.h$' || true)"
aten_inc="$(printf '%s\n' "$files" | grep -m1 '/ATen/ATen\.h$' || true)"
lib="$(printf '%s\n' "$files" | grep -m1 '/libtorch\.so$' || true)"
if [ -z "$api_inc" ] || [ -z "$aten_inc" ] || [ -z "$lib" ]; then
  echo "build_libtorch_peer.sh: libtorch-dev is installed but dpkg -L libtorch-dev lists no" \
       "torch/csrc/api/include/torch/torch.h, ATen/ATen.h or libtorch.so; reinstall it" >&2
  exit 1
fi
api_inc="${api_inc%/torch/torch.h}"
aten_inc="${aten_inc%/ATen/ATen.h}"
lib_dir="$(dirname "$(readlink -f "$lib")")"

if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "${BASH_SOURCE[0]}" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$out_dir"
# -O2 as a release build; the peer's work is in libtorch's own kernels either way.
if ! g++ -std=c++17 -O2 -DNDEBUG -I"$aten_inc" -I"$api_inc" "$src" -o "$bin.tmp" \
     -L"$lib_dir" -Wl,-rpath,"$lib_dir" -ltorch -ltorch_cpu -lc10 -pthread >&2; then
  rm -f "$bin.tmp"
  echo "build_libtorch_peer.sh: g++ failed on $src (messages above)" >&2
  exit 1
fi
mv "$bin.tmp" "$bin"
echo "$bin"
