#!/usr/bin/env bash
# Install the container tools from Debian's packages (idempotent): buildah builds, podman runs,
# skopeo inspects and copies, debootstrap makes the stand-in Debian image, docker-registry is the
# local registry that `make push` is tested against, shellcheck lets actionlint check run: steps.
set -euo pipefail
tools=(buildah podman skopeo runc conmon catatonit umoci debootstrap docker-registry bc shellcheck)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "tools: $(buildah --version | cut -d' ' -f1-3), $(podman --version), $(skopeo --version)"
