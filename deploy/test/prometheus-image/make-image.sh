#!/usr/bin/env bash
# Build the Compose test's Prometheus image from Debian's `prometheus` package, with no pull.
#   make-image.sh TAG        e.g. localhost/berth-test-prometheus:latest
# Prints the package version it used. Needs apt (download only), ldd, and ENGINE (docker, the default, or podman).
set -euo pipefail
tag=${1:?usage: make-image.sh TAG}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$here/Dockerfile" "$work/"
# A machine whose package lists are missing or stale gets them once.
(cd "$work" && { apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus 2>/dev/null; }; })
deb=$(ls "$work"/prometheus_*.deb)
dpkg-deb -x "$deb" "$work/package"
root=$work/rootfs
mkdir -p "$root/usr/bin" "$root/etc/prometheus" "$root/tmp" "$work/data"
cp "$work/package/usr/bin/prometheus" "$work/package/usr/bin/promtool" "$root/usr/bin/"
# The C library and loader the two programs link (Debian's libc6, which the package depends on).
for lib in $(ldd "$root/usr/bin/prometheus" "$root/usr/bin/promtool" | grep -v ":$" | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
if ! built=$("${ENGINE:-docker}" build --quiet --tag "$tag" "$work" 2>&1); then
  echo "$built" >&2
  exit 1
fi
echo "prometheus image $tag: Debian prometheus $(dpkg-deb -f "$deb" Version)"
