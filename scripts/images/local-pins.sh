#!/usr/bin/env bash
# Print make arguments that pin the upstream bases of container/digests.env to the local stand-ins
# by their own digest (an upstream digest can never match a locally made image):
#   DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim@sha256:<local>
# The pin is still checked: buildah resolves the digest in its store and fails if it is not there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC1091
source "$root/container/digests.env"
for var in DEBIAN_IMAGE RUST_IMAGE; do
  ref=${!var%@*}
  digest=$(skopeo inspect --format '{{.Digest}}' "containers-storage:$ref")
  printf '%s=%s@%s\n' "$var" "$ref" "$digest"
done
