#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start a runner image and check from the host that with no model it refuses to start, that with
# `serve --demo` /ping, /ready and /invocations answer, that it runs as the unprivileged user, that
# its own HEALTHCHECK passes and that it stops on SIGTERM. Then run it hardened, as users and
# Kubernetes do: read-only root file system with nothing writable mounted, every capability
# dropped, no-new-privileges, user 10001:10001; it must serve the demo model and a model file
# mounted read-only, answer correctly, and exit 0 on `stop` within SHUTDOWN_TIMEOUT.
#   ENGINE=podman|docker scripts/images/check-runner.sh IMAGE [MODEL.onnx]
# podman (the default): host network (env.sh), berth on 127.0.0.1 and a free port. docker: the
# default bridge network, the image's own port 8080 published on 127.0.0.1:<free port>, as a user
# runs it. MODEL defaults to the Iris fixture tests/fixtures/models/iris_logreg.onnx. Nothing but
# loopback is contacted. The containers are removed whatever happens.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
image=${1:?image}
model=${2:-$root/tests/fixtures/models/iris_logreg.onnx}
engine=${ENGINE:-podman}
[ "$engine" = docker ] || engine=podman
names=()
cleanup() { for n in "${names[@]}"; do "$engine" rm -f "$n" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
if [ ! -f "$model" ]; then make --no-print-directory -C "$root" fixtures >/dev/null; fi

# start NAME PORT ARGS...: run the image detached; the rest of the script reaches it on
# 127.0.0.1:PORT. docker runs the image's HEALTHCHECK itself: its interval is 30 s, so the checks
# here shorten it to 1 s (the check itself, `berth healthcheck`, stays the image's).
start() {
  local name=$1 port=$2; shift 2
  names+=("$name")
  if [ "$engine" = docker ]; then
    docker run -d --pull never --name "$name" -p "127.0.0.1:$port:8080" --health-interval 1s "$@" >/dev/null
  else
    podman run -d --pull=never --name "$name" -e HOST=127.0.0.1 -e PORT="$port" "$@" >/dev/null
  fi
}
# healthy NAME: the image's own HEALTHCHECK passes (podman: run now; docker: the engine's verdict).
healthy() {
  if [ "$engine" = docker ]; then
    local status i
    for i in $(seq 1 40); do
      status=$(docker inspect --format '{{.State.Health.Status}}' "$1")
      [ "$status" = healthy ] && return 0
      [ "$i" -lt 40 ] && sleep 0.5
    done
    echo "health: $status; $(docker inspect --format '{{json .State.Health.Log}}' "$1")" >&2
    return 1
  fi
  podman healthcheck run "$1" >/dev/null 2>&1
}
# stop_and_check NAME LIMIT_S: SIGTERM through the engine's stop; exit code 0 within LIMIT_S seconds.
stop_and_check() {
  local name=$1 limit=$2 t0 took code
  t0=$(date +%s.%N)
  "$engine" stop -t 30 "$name" >/dev/null 2>&1
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
  printf 'stopped on SIGTERM in %.1f s, exit code %s\n' "$took" "$code"
  if [ "$code" != 0 ] || [ "$(echo "$took < $limit" | bc)" != 1 ]; then
    "$engine" logs "$name" 2>&1 | tail -5 >&2
    echo "stop: exit code $code after $took s; expected 0 within $limit s" >&2
    return 1
  fi
}
# post PORT BODY [CONTENT-TYPE]: POST /invocations, print the answer.
post() {
  curl -sS "http://127.0.0.1:$1/invocations" -H "content-type: ${3:-text/csv}" -d "$2"
}
# expect WHAT GOT WANT
expect() {
  [ "$2" = "$3" ] || { echo "$1: got $2, expected $3" >&2; exit 1; }
}

# The image's own command (`serve`) with no model mounted: exit 1, naming what it found.
status=0
if [ "$engine" = docker ]; then
  refusal=$(docker run --rm --pull never "$image" 2>&1) || status=$?
else
  port=$(free_port)
  refusal=$(podman run --rm --pull=never --no-healthcheck -e HOST=127.0.0.1 -e PORT="$port" "$image" 2>&1) ||
    status=$?
fi
if [ "$status" != 1 ] || ! grep -q 'no model to serve: /opt/ml/model (SM_MODEL_DIR) is empty' <<<"$refusal"; then
  echo "with no model the runner should exit 1 saying so; it exited $status:" >&2; echo "$refusal" >&2; exit 1
fi
echo "no model mounted: exit 1, $(grep -m 1 -o 'no model to serve: [^.]*' <<<"$refusal")"

name=berth-check-$$
port=$(free_port)
t0=$(date +%s.%N)
start "$name" "$port" "$image" serve --demo
if ! wait_http "http://127.0.0.1:$port/ping" 20; then "$engine" logs "$name" >&2; exit 1; fi
printf 'container up and answering /ping in %.1f s (%s, port %s)\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$engine" "$port"
echo "GET /ping        -> $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ping")"
echo "GET /ready       -> $(curl -sS -w ' %{http_code}' "http://127.0.0.1:$port/ready")"
answer=$(post "$port" '5.1,3.5,1.4,0.2')
echo "POST /invocations 5.1,3.5,1.4,0.2 -> $answer"
expect "prediction" "$answer" '{"predictions":[0]}'
pid=$("$engine" inspect --format '{{.State.Pid}}' "$name")
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
echo "process: $(ps -o user=,uid=,args= -p "$pid")"
expect "uid" "$uid" 10001
# The image's own HEALTHCHECK, with no override of its command: it must find the port berth uses.
healthy "$name" || { echo "healthcheck failed" >&2; exit 1; }
echo "healthcheck: healthy ($engine, the image's HEALTHCHECK: berth healthcheck)"
stop_and_check "$name" 10

echo "-- hardened: read-only root, no capabilities, no-new-privileges, user 10001:10001"
# Nothing writable is mounted: berth needs no /tmp (podman would mount tmpfs on /tmp, /var/tmp and
# /run with --read-only unless told not to).
hardened=(--read-only --cap-drop ALL --security-opt no-new-privileges --user 10001:10001 -e SHUTDOWN_TIMEOUT=5s)
[ "$engine" = docker ] || hardened+=(--read-only-tmpfs=false)
name=berth-hardened-$$
port=$(free_port)
start "$name" "$port" "${hardened[@]}" "$image" serve --demo
if ! wait_http "http://127.0.0.1:$port/ready" 20; then "$engine" logs "$name" >&2; exit 1; fi
answer=$(post "$port" '{"instances": [[5.1,3.5,1.4,0.2], [6.7,3.0,5.2,2.3]]}' application/json)
echo "demo model: POST /invocations (JSON, 2 rows) -> $answer"
expect "demo prediction" "$answer" '{"predictions":[0,2]}'
pid=$("$engine" inspect --format '{{.State.Pid}}' "$name")
proc=$(grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs):' "/proc/$pid/status" | tr -s '\t ' ' ' | tr '\n' ';')
echo "process: $proc"
grep -q 'Uid: 10001 10001 10001 10001;' <<<"$proc" || { echo "not uid 10001" >&2; exit 1; }
grep -q 'CapEff: 0000000000000000;' <<<"$proc" || { echo "capabilities left" >&2; exit 1; }
grep -q 'NoNewPrivs: 1;' <<<"$proc" || { echo "no-new-privileges not set" >&2; exit 1; }
rw=$(awk '$2 == "/" {print $4}' "/proc/$pid/mounts" | cut -d, -f1)
echo "root file system: $rw; writable mounts: $(awk '$4 ~ /^rw/ && $2 !~ /^\/(proc|sys|dev)(\/|$)/ {printf "%s ", $2}' "/proc/$pid/mounts")"
expect "root file system" "$rw" ro
healthy "$name" || { echo "healthcheck failed (hardened)" >&2; exit 1; }
echo "healthcheck: healthy"
if "$engine" logs "$name" 2>&1 | grep -E 'WARN|ERROR|Read-only|read-only|denied'; then
  echo "berth logged the lines above under the hardened settings" >&2; exit 1
fi
echo "log: no warning or error"
stop_and_check "$name" 5

# A model file mounted read-only where the image looks for one (the image's own command: serve).
name=berth-model-$$
port=$(free_port)
start "$name" "$port" "${hardened[@]}" -v "$model:/opt/ml/model/model.onnx:ro" "$image"
if ! wait_http "http://127.0.0.1:$port/ready" 20; then "$engine" logs "$name" >&2; exit 1; fi
answer=$(post "$port" '{"instances": [[5.1,3.5,1.4,0.2], [6.7,3.0,5.2,2.3]]}' application/json)
echo "mounted $(basename "$model"): POST /invocations (JSON, 2 rows) -> $answer"
expect "mounted model prediction" "$answer" '{"predictions":[0,2]}'
served=$(curl -sS "http://127.0.0.1:$port/metadata" | python3 -c 'import json, sys; print(json.load(sys.stdin)["model"]["sha256"])')
expect "sha256 of the model served (/metadata)" "$served" "$(sha256sum "$model" | cut -d' ' -f1)"
echo "/metadata: the mounted file (sha256 ${served:0:12}…)"
healthy "$name" || { echo "healthcheck failed (mounted model)" >&2; exit 1; }
echo "healthcheck: healthy"
stop_and_check "$name" 5
