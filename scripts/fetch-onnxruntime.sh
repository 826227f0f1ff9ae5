#!/usr/bin/env bash
# Fetch the pinned ONNX Runtime shared library from the official `onnxruntime` wheel on PyPI,
# verify the wheel's sha256 and unpack libonnxruntime.so* into berth's cache.
#
#   scripts/fetch-onnxruntime.sh [DEST_DIR]
#
# DEST_DIR defaults to the cache berth searches: $BERTH_CACHE_DIR, else $XDG_CACHE_HOME/berth,
# else ~/.cache/berth, under onnxruntime/<version>/. The pin (version, wheel names, sha256) is
# scripts/onnxruntime.env. Needs python3 with pip; prints the library path on success.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=onnxruntime.env
source "$here/onnxruntime.env"

arch=$(uname -m)
case "$arch" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) echo "fetch-onnxruntime: no pinned wheel for architecture $arch" >&2; exit 1 ;;
esac
wheel_var="ORT_WHEEL_$arch"; sha_var="ORT_SHA256_$arch"
wheel=${!wheel_var}; sha=${!sha_var}

if [ $# -ge 1 ]; then
  dest=$1
else
  cache=${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:+$XDG_CACHE_HOME/berth}}
  cache=${cache:-$HOME/.cache/berth}
  dest=$cache/onnxruntime/$ORT_VERSION
fi
lib=$dest/libonnxruntime.so.$ORT_VERSION

if [ -f "$lib" ] && [ -f "$dest/.wheel-sha256" ] && [ "$(cat "$dest/.wheel-sha256")" = "$sha" ]; then
  echo "$lib"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --implementation cp --python-version 3.11 --platform "manylinux_2_28_$arch" \
  --dest "$work" "onnxruntime==$ORT_VERSION" >&2
if [ ! -f "$work/$wheel" ]; then
  echo "fetch-onnxruntime: pip did not fetch $wheel (got: $(ls "$work"))" >&2
  exit 1
fi
got=$(sha256sum "$work/$wheel" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
  echo "fetch-onnxruntime: sha256 mismatch for $wheel: expected $sha, got $got" >&2
  exit 1
fi

mkdir -p "$dest"
python3 - "$work/$wheel" "$dest" <<'PY'
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/") and base.startswith("libonnxruntime"):
            target = os.path.join(dest, base)
            with z.open(name) as src, open(target + ".part", "wb") as out:
                out.write(src.read())
            os.replace(target + ".part", target)
PY
ln -sf "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so"
echo "$sha" > "$dest/.wheel-sha256"
echo "$lib"
