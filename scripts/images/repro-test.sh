#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images-repro: build base-runner and runner twice from the same commit, each time without the
# layer cache, and check that both builds give the same image (config digest = image ID, and the
# manifest digest). What makes it hold: --timestamp from the commit time (every date in the config
# and every file time in the new layers), labels from git, Debian files unpacked from the .debs.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
logs=$BERTH_IMAGES_HOME/logs
mkdir -p "$logs"
set_make_args buildah
runner=localhost/berth-runner:latest
base_runner=localhost/berth-base-runner:latest
declare -a ids digests
for n in 1 2; do
  timed "runner build $n (no cache)" make --no-print-directory build-runner "${MAKE_ARGS[@]}" FINAL_FLAGS=--no-cache \
    >"$logs/repro-$n.log" 2>&1 || { tail -30 "$logs/repro-$n.log" >&2; exit 1; }
  ids[n]=$(podman image inspect --format '{{.Id}}' "$runner")
  digests[n]=$(skopeo inspect --format '{{.Digest}}' "containers-storage:$runner")
  echo "build $n: runner image ID sha256:${ids[n]}, manifest ${digests[n]}," \
    "base-runner ID $(podman image inspect --format '{{.Id}}' "$base_runner" | cut -c1-12)"
done
if [ "${ids[1]}" = "${ids[2]}" ] && [ "${digests[1]}" = "${digests[2]}" ]; then
  echo "images-repro: OK, two builds of $(git rev-parse --short HEAD 2>/dev/null || echo this tree) give one digest: ${digests[1]}"
else
  echo "images-repro: FAILED, the two builds differ" >&2
  exit 1
fi
