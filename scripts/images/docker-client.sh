#!/usr/bin/env bash
# Print the docker client that builds with BuildKit (DOCKER in container/images.mk): `docker` when it
# can, else Debian's /usr/bin/docker. A client of 23.0 or later builds with BuildKit only through the
# buildx plugin: without it, `DOCKER_BUILDKIT=1 docker build` stops with "BuildKit is enabled but the
# buildx component is missing or broken". The 20.10 client of Debian's docker.io has BuildKit built
# in. (This project's machines have a 28.2 client first on PATH, no buildx, and docker.io 20.10.)
set -euo pipefail
for client in "$(command -v docker || true)" /usr/bin/docker; do
  if [ -z "$client" ] || [ ! -x "$client" ]; then continue; fi
  if "$client" buildx version >/dev/null 2>&1; then echo "$client"; exit 0; fi
  major=$("$client" --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
  if [ -n "$major" ] && [ "$major" -lt 23 ]; then echo "$client"; exit 0; fi
done
echo "docker-client: no docker client here builds with BuildKit (install the buildx plugin, or" \
  "Debian's docker.io for its 20.10 client); trying plain docker" >&2
echo docker
