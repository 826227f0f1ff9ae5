#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images-push-test: start a registry on 127.0.0.1 (Debian's docker-registry, plain http, a
# temporary directory), `make push` the chain to it, pull the runner back into a second, empty
# image store, and run and check the pulled image. Then `berth package` a fixture model onto the
# pushed runner (no daemon), twice (one digest), pull the packaged image and check its answers
# and health check. Registry, store and containers are removed after.
#   PUSH_IMAGES="base base-builder builder base-runner runner" (the default: the whole chain)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
set_make_args buildah
reg=$(mktemp -d /var/tmp/berth-registry.XXXXXX)
pull_home=$(mktemp -d /var/tmp/berth-pull.XXXXXX)
cleanup() {
  stop_registry
  if [ -f "$pull_home/storage.conf" ]; then CONTAINERS_STORAGE_CONF=$pull_home/storage.conf drop_store; fi
  rm -rf "$reg" "$pull_home"
}
trap cleanup EXIT

start_registry "$reg"
port=$REGISTRY_PORT
echo "registry: http://127.0.0.1:$port (pid $REGISTRY_PID)"
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

echo "== berth package onto the pushed runner"
berth=${BERTH_BIN:-$root/target/debug/berth}
[ -x "$berth" ] || cargo build --locked -q -p berth
model=$root/tests/fixtures/models/iris_logreg.onnx
[ -f "$model" ] || make --no-print-directory fixtures >/dev/null
packaged=$registry/iris-packaged:1
t0=$(date +%s.%N)
first=$("$berth" package "$model" -t "$packaged" --base "$remote" 2>"$reg/package.log") || { cat "$reg/package.log" >&2; exit 1; }
printf 'berth package: %s in %.2f s\n' "$first" "$(echo "$(date +%s.%N) - $t0" | bc)"
sed 's/^/  /' "$reg/package.log"
second=$("$berth" package "$model" -t "$packaged" --base "$remote" 2>/dev/null)
[ "$first" = "$second" ] || { echo "two runs gave two digests: $first, $second" >&2; exit 1; }
echo "second run: the same digest"
port2=$(free_port)
name=berth-packaged-$$
podman run -d --pull=always --tls-verify=false --name "$name" -e HOST=127.0.0.1 -e PORT="$port2" "$first" >/dev/null
trap 'podman rm -f "$name" >/dev/null 2>&1 || true; cleanup' EXIT
wait_http "http://127.0.0.1:$port2/ready" 20 || { podman logs "$name" >&2; exit 1; }
answer=$(curl -sS "http://127.0.0.1:$port2/invocations" -H 'content-type: text/csv' -d '5.1,3.5,1.4,0.2')
echo "packaged image: POST /invocations 5.1,3.5,1.4,0.2 -> $answer"
[ "$answer" = '{"predictions":[0]}' ] || { echo "unexpected prediction" >&2; exit 1; }
health=$(podman healthcheck run "$name" 2>/dev/null) || { echo "healthcheck: ${health:-failed}" >&2; exit 1; }
echo "packaged image: healthy, user $(podman inspect --format '{{.Config.User}}' "$name")"
podman rm -f "$name" >/dev/null
echo "images-push-test: OK"
