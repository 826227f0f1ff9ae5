#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start a runner image with podman, check from the host that with no model it refuses to start,
# that with `serve --demo` /ping, /ready and /invocations answer, that it runs as the unprivileged
# user, that the health check passes and that it stops on SIGTERM.
#   scripts/images/check-runner.sh IMAGE
# Host network (env.sh): berth listens on 127.0.0.1 only, on a free port, and nothing else is
# contacted. The container is removed whatever happens.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
image=${1:?image}
port=$(free_port)
name=berth-check-$$
cleanup() { podman rm -f -t 2 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The image's own command (`serve`) with no model mounted: exit 1, naming what it found.
status=0
refusal=$(podman run --rm --pull=never --no-healthcheck -e HOST=127.0.0.1 -e PORT="$port" "$image" 2>&1) ||
  status=$?
if [ "$status" != 1 ] || ! grep -q 'no model to serve: /opt/ml/model/model.onnx not found' <<<"$refusal"; then
  echo "with no model the runner should exit 1 saying so; it exited $status:" >&2; echo "$refusal" >&2; exit 1
fi
echo "no model mounted: exit 1, $(grep -m 1 -o 'no model to serve: .* not found: [^.]*' <<<"$refusal")"

t0=$(date +%s.%N)
podman run -d --pull=never --name "$name" -e HOST=127.0.0.1 -e PORT="$port" \
  "$image" serve --demo >/dev/null 2>"/tmp/$name.err" ||
  { cat "/tmp/$name.err" >&2; exit 1; }
rm -f "/tmp/$name.err"
if ! wait_http "http://127.0.0.1:$port/ping" 20; then podman logs "$name" >&2; exit 1; fi
printf 'container up and answering /ping in %.1f s (port %s)\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$port"
echo "GET /ping        -> $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ping")"
echo "GET /ready       -> $(curl -sS -w ' %{http_code}' "http://127.0.0.1:$port/ready")"
answer=$(curl -sS "http://127.0.0.1:$port/invocations" -H 'content-type: text/csv' -d '5.1,3.5,1.4,0.2')
echo "POST /invocations 5.1,3.5,1.4,0.2 -> $answer"
[ "$answer" = '{"predictions":[0]}' ] || { echo "unexpected prediction" >&2; exit 1; }
pid=$(podman inspect --format '{{.State.Pid}}' "$name")
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
echo "process: $(ps -o user=,uid=,args= -p "$pid")"
[ "$uid" = 10001 ] || { echo "runs as uid $uid, not 10001" >&2; exit 1; }
# The image's own HEALTHCHECK, with no override: it must follow PORT.
health=$(podman healthcheck run "$name" 2>/dev/null) || { echo "healthcheck: ${health:-failed}" >&2; exit 1; }
echo "healthcheck: healthy (berth healthcheck on PORT=$port)"
t0=$(date +%s.%N)
podman stop -t 10 "$name" >/dev/null 2>&1
printf 'stopped on SIGTERM in %.1f s, exit code %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" \
  "$(podman inspect --format '{{.State.ExitCode}}' "$name")"
