#!/usr/bin/env bash
# A second Docker Engine for `docker build --check` (BuildKit's Dockerfile checks), for the parity
# test of berth's Docker checks (crates/berth-lint/tests/docker_check_parity.rs).
#
# The machine's engine (Debian 12's docker.io 20.10) predates BuildKit's checks and has no buildx;
# Debian's unstable suite has both (docker.io 28, docker-buildx 0.29). Their packages are
# downloaded with apt into .cache/docker-check (a private package list: the machine's sources are
# not touched, nothing is installed), unpacked there, and the engine runs beside the machine's
# one: its own socket, data and containerd, no iptables rules, and its own network namespace.
# The namespace matters: a dockerd started without a bridge deletes the host's `docker0`, which
# the machine's engine needs for every container it runs.
#
# It can pull nothing, so every base image a Dockerfile names is a stand-in, tagged by the test
# when BuildKit asks for it: an empty image whose only ENV is PATH (scripts/stand-in-images.py).
#
#   start   fetch (once), unpack, start the engine, load the stand-ins, write engine.env
#           (outside CI, an engine that cannot start is reported, not an error)
#   stop    stop it (its data is kept for the next start)
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="$PWD/.cache/docker-check"
# Unix socket paths are limited to 108 bytes: the engine's runtime files live in a short path.
RUN=/tmp/berth-docker-check
PACKAGES=(docker.io docker-buildx)
SUITE="deb http://deb.debian.org/debian sid main"

apt_private() {
  local tool=$1; shift
  "$tool" -o Dir::Etc::SourceList="$STATE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$STATE/apt/lists" -o Dir::Cache="$STATE/apt/cache" "$@"
}

fetch() {
  [ -x "$STATE/root/usr/sbin/dockerd" ] && [ -x "$STATE/root/usr/libexec/docker/cli-plugins/docker-buildx" ] && return
  mkdir -p "$STATE/apt/lists/partial" "$STATE/apt/cache/archives/partial" "$STATE/debs"
  echo "$SUITE" > "$STATE/apt/sources.list"
  apt_private apt-get -qq update
  # Downloads as root into the project's cache: apt's sandbox user could not write there.
  (cd "$STATE/debs" && apt_private apt-get -qq -o APT::Sandbox::User=root download "${PACKAGES[@]}")
  rm -rf "$STATE/root"
  for deb in "$STATE"/debs/*.deb; do dpkg-deb -x "$deb" "$STATE/root"; done
}

engine() { DOCKER_HOST="unix://$RUN/docker.sock" DOCKER_CONFIG="$STATE/config" docker "$@"; }

start() {
  for tool in docker containerd runc apt-get dpkg-deb python3 unshare ip; do
    command -v "$tool" >/dev/null || { echo "docker-check-engine: $tool is missing" >&2; exit 1; }
  done
  fetch
  mkdir -p "$STATE/config/cli-plugins" "$RUN"
  ln -sfn "$STATE/root/usr/libexec/docker/cli-plugins/docker-buildx" "$STATE/config/cli-plugins/docker-buildx"
  # The containerd image store holds multi-platform images, so a stand-in serves every platform.
  echo '{"features":{"containerd-snapshotter":true}}' > "$STATE/daemon.json"
  local had_docker0=no
  if ip link show docker0 >/dev/null 2>&1; then had_docker0=yes; fi
  if ! [ -S "$RUN/docker.sock" ] || ! engine version >/dev/null 2>&1; then
    unshare --net -- "$STATE/root/usr/sbin/dockerd" --config-file "$STATE/daemon.json" \
      --host "unix://$RUN/docker.sock" --data-root "$STATE/data" --exec-root "$RUN/exec" \
      --pidfile "$RUN/docker.pid" --bridge none --iptables=false --ip6tables=false \
      > "$STATE/dockerd.log" 2>&1 &
    for _ in $(seq 120); do engine version >/dev/null 2>&1 && break; sleep 0.5; done
    engine version >/dev/null 2>&1 || { tail -20 "$STATE/dockerd.log" >&2; exit 1; }
  fi
  # The machine's engine must not have lost its bridge (see the top of this file).
  if [ "$had_docker0" = yes ] && ! ip link show docker0 >/dev/null 2>&1; then
    echo "docker-check-engine: the host's docker0 bridge is gone" >&2; exit 1
  fi
  python3 scripts/stand-in-images.py "$STATE/stand-ins.tar"
  engine load --quiet -i "$STATE/stand-ins.tar" >/dev/null
  printf 'DOCKER_HOST=unix://%s/docker.sock\nDOCKER_CONFIG=%s/config\n' "$RUN" "$STATE" > "$STATE/engine.env"
  echo "docker-check-engine: $(engine version --format 'engine {{.Server.Version}}'), $(engine buildx version | cut -d' ' -f1-2), on $RUN/docker.sock"
}

stop() {
  rm -f "$STATE/engine.env"
  [ -f "$RUN/docker.pid" ] || return 0
  local pid; pid=$(cat "$RUN/docker.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN/docker.pid"
  echo "docker-check-engine: stopped"
}

case "${1:-}" in
  # Outside CI an engine that cannot start (no root, no network) is not an error: the parity
  # test says it skips. Under CI it is.
  start)
    if [ -n "${CI:-}" ]; then start
    elif [ "$(id -u)" != 0 ]; then echo "docker-check-engine: not started (dockerd needs root): the Docker-check parity test skips"
    elif ! "$0" start-or-fail; then echo "docker-check-engine: not started (see above): the Docker-check parity test skips"
    fi ;;
  start-or-fail) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
