#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Put the stand-in bases of make-stand-ins.sh into the Docker Engine, pinned by digest, so that
# container/Dockerfile.* build with `docker build` on a machine that reaches no image registry.
#
# A FROM pinned with @sha256: resolves only to an image that has that repository digest, and an
# image put into docker with `docker load` (or skopeo's docker-daemon:) has none, whatever its name.
# A push gives it one: each stand-in is copied into docker named after a registry on 127.0.0.1
# (Debian's docker-registry on a free port, plain http, which docker allows for 127.0.0.0/8 by
# default) and pushed there. Docker then records 127.0.0.1:PORT/library/debian@sha256:<digest>, and
# BuildKit resolves
#   FROM 127.0.0.1:PORT/library/debian:bookworm-slim@sha256:<digest>
# from the engine's own store, with no pull: the registry is stopped and removed right after the
# push. A wrong digest fails the build (BuildKit then asks that registry, which is gone).
# scripts/images/local-pins.sh docker prints the pins. A stand-in already pinned in the engine is
# kept. Needs the stand-ins in the private store (make-stand-ins.sh makes them).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck disable=SC1091
source "$root/container/digests.env"
reg=
cleanup() { stop_registry; [ -z "$reg" ] || rm -rf "$reg"; }
trap cleanup EXIT

for var in DEBIAN_IMAGE RUST_IMAGE; do
  ref=${!var%@*}
  path=${ref#docker.io/}
  pin=$(docker_pin "$path")
  if [ -n "$pin" ]; then
    echo "docker stand-in: $pin already present"
    continue
  fi
  if [ -z "$reg" ]; then
    reg=$(mktemp -d /var/tmp/berth-stand-in-registry.XXXXXX)
    start_registry "$reg"
  fi
  t0=$(date +%s)
  named=127.0.0.1:$REGISTRY_PORT/$path
  skopeo copy --quiet "containers-storage:$ref" "docker-daemon:$named"
  docker push -q "$named" >/dev/null
  echo "docker stand-in: $(docker_pin "$path") ($ref) in $(($(date +%s) - t0)) s"
done
