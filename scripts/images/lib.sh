# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Shared helpers of scripts/images/*.sh: the settings for this machine, the make arguments that
# build the chain against the local stand-ins (buildah, or the Docker Engine), a timer, a free-port
# finder and a registry on 127.0.0.1.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=env.sh
source "$root/scripts/images/env.sh"

# The host's CA bundle, given to the builder only, as the build secret `ca`: HTTPS from this machine
# goes through a certificate authority that Debian's bundle lacks (pip and cargo fetch in the
# builder; container/Dockerfile.builder reads /run/secrets/ca). It is in no layer.
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}

# set_make_args [ENGINE]: MAKE_ARGS=(ENGINE=… DEBIAN_IMAGE=…@<local digest> …) for buildah (the
# default: the stand-ins of the private store) or docker (the stand-ins pinned in the Docker Engine
# by docker-stand-ins.sh). Needs the stand-ins.
set_make_args() {
  local engine=${1:-buildah} pins
  pins=$("$root/scripts/images/local-pins.sh" "$engine") ||
    { echo "no stand-in images for $engine: run make-stand-ins.sh (and docker-stand-ins.sh)" >&2; return 1; }
  mapfile -t MAKE_ARGS <<<"$pins"
  if [ "$engine" = docker ]; then
    MAKE_ARGS=(ENGINE=docker "${MAKE_ARGS[@]}" "BUILD_FLAGS=--progress=plain"
      "BUILDER_FLAGS=--secret id=ca,src=$HOST_CA")
  else
    MAKE_ARGS=(ENGINE=buildah "${MAKE_ARGS[@]}" "BUILD_FLAGS=--pull=never --isolation chroot"
      "BUILDER_FLAGS=--secret id=ca,src=$HOST_CA")
  fi
}

# docker_pin PATH (library/debian:bookworm-slim): the stand-in that docker-stand-ins.sh pinned in the
# Docker Engine, as 127.0.0.1:PORT/library/debian:bookworm-slim@sha256:…; nothing when there is none.
docker_pin() {
  local repo=${1%:*} tag=${1##*:}
  docker images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}' |
    awk -v r="$repo" -v t="$tag" '$1 ~ ("^127[.]0[.]0[.]1:[0-9]+/" r "$") && $2 == t && $3 ~ /^sha256:/ {
      print $1 ":" $2 "@" $3; exit }'
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

# start_registry DIR: Debian's docker-registry on a free port of 127.0.0.1 (plain http; docker allows
# that for 127.0.0.0/8 by default, skopeo/podman need --tls-verify=false), storing in DIR/data and
# logging to DIR/log. Sets REGISTRY_PORT and REGISTRY_PID; stop_registry stops it.
start_registry() {
  local dir=$1
  REGISTRY_PORT=$(free_port)
  cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
CONF
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  REGISTRY_PID=$!
  wait_http "http://127.0.0.1:$REGISTRY_PORT/v2/" 10 || { cat "$dir/log" >&2; return 1; }
}
stop_registry() {
  [ -n "${REGISTRY_PID:-}" ] || return 0
  kill -TERM "$REGISTRY_PID" 2>/dev/null || true
  wait "$REGISTRY_PID" 2>/dev/null || true
  REGISTRY_PID=
}

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

# docker_snapshot: what the Docker Engine holds that a run may add to without naming it, one
# "cache ID" line per BuildKit cache record and one "dangling ID" line per untagged image, sorted.
docker_snapshot() {
  local client
  client=$("$root/scripts/images/docker-client.sh" 2>/dev/null)
  {
    "$client" system df -v --format '{{range .BuildCache}}cache {{.ID}}
{{end}}' | tr -d '*'
    docker images -q --no-trunc --filter dangling=true | sed 's/^/dangling /'
  } | grep . | sort -u || true
}

# drop_docker SNAPSHOT: remove from the Docker Engine what the docker path of these scripts makes:
# containers of the chain's images, the five images (tags latest and oneline), the pinned stand-ins
# of docker-stand-ins.sh, and the untagged images and build cache records that are not in SNAPSHOT
# (a file written by docker_snapshot when the run started: a rebuild leaves the image it replaced
# untagged). Images and containers of anything else are left alone.
drop_docker() {
  local before=$1 refs=() ref i
  for i in base base-builder builder base-runner runner; do
    for ref in "localhost/berth-$i:latest" "localhost/berth-$i:oneline"; do
      docker image inspect "$ref" >/dev/null 2>&1 && refs+=("$ref")
    done
  done
  mapfile -t -O "${#refs[@]}" refs < <(docker images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}' |
    awk '$1 ~ /^127[.]0[.]0[.]1:[0-9]+\/library\/(debian|rust)$/ {print $1 ":" $2; if ($3 ~ /^sha256:/) print $1 "@" $3}')
  for ref in "${refs[@]}"; do
    docker ps -aq --filter "ancestor=$ref" | xargs -r docker rm -f >/dev/null 2>&1 || true
  done
  [ ${#refs[@]} -eq 0 ] || docker rmi "${refs[@]}" >/dev/null 2>&1 || true
  local client kind id out images=0 records=0
  client=$("$root/scripts/images/docker-client.sh" 2>/dev/null)
  while read -r kind id; do
    if [ "$kind" = dangling ]; then
      docker rmi "$id" >/dev/null 2>&1 && images=$((images + 1))
    fi
  done < <(docker_snapshot | comm -13 "$before" -)
  # Children first: a record that another one builds on is pruned only after that one.
  while read -r id; do
    # (never an empty id: the filter is a regular expression, and an empty one matches every record)
    [[ "$id" =~ ^[a-z0-9]+$ ]] || continue
    out=$("$client" builder prune -af --filter "id=^$id\$" 2>/dev/null) || continue
    if grep -q "^$id" <<<"$out"; then records=$((records + 1)); fi
  done < <("$client" system df -v --format '{{range .BuildCache}}{{.ID}} {{.Parent}}
{{end}}' | tr -d '*' | python3 -c '
import sys
ours = {line.split()[1] for line in open(sys.argv[1]) if line.startswith("cache ")}
parent = {f[0]: (f[1] if len(f) > 1 else "") for f in (line.split() for line in sys.stdin) if f}
def depth(record):
    d = 0
    while parent.get(record):
        record, d = parent[record], d + 1
    return d
print("\n".join(sorted((r for r in parent if r in ours), key=depth, reverse=True)))
' <(docker_snapshot | comm -13 "$before" -))
  echo "docker: removed ${#refs[@]} image references, $images untagged images, $records build cache records"
}
