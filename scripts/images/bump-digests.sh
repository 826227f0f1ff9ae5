#!/usr/bin/env bash
# make bump-digests: resolve the current digest of each upstream base tag with skopeo (the
# multi-arch index digest, what `FROM name:tag@sha256:...` should carry) and rewrite the pin in
# container/digests.env and the matching ARG default in container/Dockerfile.*. Needs a registry
# that answers; on a machine without one it stops at the first lookup and changes nothing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
env_file=$root/container/digests.env
# shellcheck disable=SC1090
source "$env_file"
changed=0
for var in DEBIAN_IMAGE RUST_IMAGE; do
  old=${!var}
  ref=${old%@*}
  if ! new_digest=$(skopeo inspect --raw "docker://$ref" | sha256sum | cut -d' ' -f1); then
    echo "bump-digests: cannot resolve $ref (no registry reachable?); nothing changed" >&2
    exit 1
  fi
  new="$ref@sha256:$new_digest"
  if [ "$new" = "$old" ]; then
    echo "$var: $ref unchanged"
    continue
  fi
  echo "$var: $ref ${old##*@} -> sha256:$new_digest"
  sed -i "s|^$var=.*|$var=$new|" "$env_file"
  sed -i "s|^ARG $var=.*|ARG $var=$new|" "$root"/container/Dockerfile.*
  changed=1
done
if [ "$changed" = 1 ]; then
  sed -i "s|^# Recorded [0-9-]*\.|# Recorded $(date -u +%F).|" "$env_file"
  echo "bump-digests: pins updated; rebuild with make build-images and commit container/"
fi
