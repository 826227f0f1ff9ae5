#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Print make arguments that pin the upstream bases of container/digests.env to the local stand-ins
# by their own digest (an upstream digest can never match a locally made image):
#   local-pins.sh [buildah]  DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim@sha256:<local>
#   local-pins.sh docker     DEBIAN_IMAGE=127.0.0.1:PORT/library/debian:bookworm-slim@sha256:<local>
# The pin is still checked: buildah resolves the digest in its store, BuildKit in the Docker
# Engine's (the repository digest docker-stand-ins.sh gave it), and each fails if it is not there.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck disable=SC1091
source "$root/container/digests.env"
engine=${1:-buildah}
for var in DEBIAN_IMAGE RUST_IMAGE; do
  ref=${!var%@*}
  if [ "$engine" = docker ]; then
    pin=$(docker_pin "${ref#docker.io/}")
    [ -n "$pin" ] || { echo "local-pins: no pinned stand-in for $ref in the Docker Engine" >&2; exit 1; }
    printf '%s=%s\n' "$var" "$pin"
  else
    digest=$(skopeo inspect --format '{{.Digest}}' "containers-storage:$ref")
    printf '%s=%s@%s\n' "$var" "$ref" "$digest"
  fi
done
