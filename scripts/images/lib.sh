# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Shared helpers of scripts/images/*.sh: the settings for this machine, the make arguments that
# build the chain with buildah against the local stand-ins, a timer and a free-port finder.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=env.sh
source "$root/scripts/images/env.sh"

# The host's CA bundle, mounted over the image's in the builder only: HTTPS from this machine goes
# through a certificate authority that Debian's bundle lacks (cargo and pip fetch in the builder).
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}

# set_make_args: MAKE_ARGS=(ENGINE=buildah DEBIAN_IMAGE=…@<local digest> …); needs the stand-ins.
set_make_args() {
  local pins
  pins=$("$root/scripts/images/local-pins.sh") || { echo "no stand-in images: run make-stand-ins.sh" >&2; return 1; }
  mapfile -t MAKE_ARGS <<<"$pins"
  MAKE_ARGS=(ENGINE=buildah "${MAKE_ARGS[@]}" "BUILD_FLAGS=--pull=never --isolation chroot"
    "BUILDER_FLAGS=-v $HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro")
}

# timed NAME CMD...: run CMD, print "time NAME: S s" to stderr, keep CMD's status.
timed() {
  local name=$1 t0 rc=0; shift
  t0=$(date +%s.%N)
  "$@" || rc=$?
  printf 'time %-28s %6.1f s\n' "$name:" "$(echo "$(date +%s.%N) - $t0" | bc)" >&2
  return $rc
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: poll until URL answers 200 or the time is up.
wait_http() {
  local url=$1 deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.3
  done
  echo "no answer from $url within $2 s" >&2
  return 1
}

mb() { echo "scale=1; $1 / 1000000" | bc; }

# drop_store: remove every container and image of the store CONTAINERS_STORAGE_CONF points at, then
# its directories. (Not `podman system reset`: that also touches machine-wide network settings.)
drop_store() {
  local graph run
  graph=$(sed -n 's/^graphroot = "\(.*\)"/\1/p' "$CONTAINERS_STORAGE_CONF")
  run=$(sed -n 's/^runroot = "\(.*\)"/\1/p' "$CONTAINERS_STORAGE_CONF")
  podman rm -af -t 2 >/dev/null 2>&1 || true
  buildah rm -a >/dev/null 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  buildah rmi -af >/dev/null 2>&1 || true
  if [ -n "$graph" ]; then
    awk -v g="$graph" '$2 ~ "^"g {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$graph"
  fi
  [ -z "$run" ] || rm -rf "$run"
}
