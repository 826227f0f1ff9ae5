#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images-push-test: start a registry on 127.0.0.1 (Debian's docker-registry, plain http, a
# temporary directory), `make push` the chain to it, pull the runner back into a second, empty
# image store, and run and check the pulled image. Registry, store and containers are removed after.
#   PUSH_IMAGES="base base-builder builder base-runner runner" (the default: the whole chain)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
set_make_args
port=$(free_port)
reg=$(mktemp -d /var/tmp/berth-registry.XXXXXX)
pull_home=$(mktemp -d /var/tmp/berth-pull.XXXXXX)
regpid=
cleanup() {
  if [ -n "$regpid" ]; then kill -TERM "$regpid" 2>/dev/null || true; wait "$regpid" 2>/dev/null || true; fi
  if [ -f "$pull_home/storage.conf" ]; then CONTAINERS_STORAGE_CONF=$pull_home/storage.conf drop_store; fi
  rm -rf "$reg" "$pull_home"
}
trap cleanup EXIT

cat > "$reg/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $reg/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONF
docker-registry serve "$reg/config.yml" >"$reg/log" 2>&1 &
regpid=$!
wait_http "http://127.0.0.1:$port/v2/" 10
echo "registry: http://127.0.0.1:$port (pid $regpid)"
registry=127.0.0.1:$port/berth

timed push make --no-print-directory push "${MAKE_ARGS[@]}" REGISTRY="$registry" PUSH_FLAGS=--tls-verify=false \
  ${PUSH_IMAGES:+PUSH_IMAGES="$PUSH_IMAGES"} >"$reg/push.log" 2>&1 || { cat "$reg/push.log" >&2; exit 1; }
grep '^push ' "$reg/push.log"
echo "catalog: $(curl -sS "http://127.0.0.1:$port/v2/_catalog")"
echo "runner tags: $(curl -sS "http://127.0.0.1:$port/v2/berth/berth-runner/tags/list")"
remote=$registry/berth-runner:latest
pushed=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$remote")
echo "registry digest of $remote: $pushed"

# Pull into a second, empty store: the image must come from the registry, not from local layers.
cat > "$pull_home/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "/run/berth-images/pull-$$"
graphroot = "$pull_home/storage"
[storage.options.overlay]
mountopt = "nodev"
CONF
export BERTH_STORAGE_CONF=$pull_home/storage.conf CONTAINERS_STORAGE_CONF=$pull_home/storage.conf
timed pull podman pull -q --tls-verify=false "$remote" >/dev/null
pulled=$(podman image inspect --format '{{.Digest}}' "$remote")
echo "pulled digest: $pulled"
[ "$pulled" = "$pushed" ] || { echo "pulled digest differs from the pushed one" >&2; exit 1; }
echo "healthcheck kept through the registry: $(podman image inspect --format '{{json .HealthCheck.Test}}' "$remote")"
"$root/scripts/images/check-runner.sh" "$remote"
echo "images-push-test: OK"
