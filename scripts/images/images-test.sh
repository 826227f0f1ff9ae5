#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images-test: on a machine with no Docker engine and no image registry, build the five-image
# chain with buildah (stand-in bases, local digest pins), run the runner and check it from the host,
# print its size and user, then time a rebuild after a one-line source change.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
logs=$BERTH_IMAGES_HOME/logs
mkdir -p "$logs"
prefix=localhost/berth
runner=$prefix-runner:latest

timed install-tools "$root/scripts/images/install-tools.sh"
timed stand-ins "$root/scripts/images/make-stand-ins.sh"
set_make_args

build() { # build LOG make-args...: run make quietly, show the log's tail on failure
  local log=$1; shift
  make --no-print-directory "$@" >"$log" 2>&1 || { tail -40 "$log" >&2; echo "build failed: $log" >&2; return 1; }
}
timed build-images build "$logs/build-images.log" build-images "${MAKE_ARGS[@]}"
awk '/^test result:/ {n++; p += $4; f += $6} END {if (n) printf "  tests run in the builder: %d passed, %d failed (%d test binaries)\n", p, f, n; else print "  tests: all layers from the cache"}' \
  "$logs/build-images.log"

echo "== the runner image"
size=$(podman image inspect --format '{{.Size}}' "$runner")
oci=$(mktemp -u /var/tmp/berth-runner.XXXXXX.oci.tar)
skopeo copy --quiet "containers-storage:$runner" "oci-archive:$oci:berth-runner"
gz=$(stat -c %s "$oci"); rm -f "$oci"
echo "size: $(mb "$size") MB uncompressed ($size bytes), $(mb "$gz") MB compressed (oci-archive, gzip layers)"
podman images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep berth- || true
echo "user: $(podman image inspect --format '{{.Config.User}}' "$runner")"
echo "entrypoint/cmd: $(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$runner")"
echo "healthcheck: $(podman image inspect --format '{{json .HealthCheck.Test}}' "$runner")"
podman image inspect --format '{{range $k, $v := .Labels}}{{$k}}={{$v}}{{"\n"}}{{end}}' "$runner" |
  grep '^org.opencontainers' | sed 's/^/label: /'
# No shell, no package manager, no compiler: list the image's files.
ctr=$(podman create "$runner")
files=$(podman export "$ctr" | tar -t)
podman rm "$ctr" >/dev/null
bad=$(grep -E '(^|/)(s?bin/)?(sh|bash|dash|busybox|apt|apt-get|dpkg|cc|gcc|rustc|cargo|python3?)$' <<<"$files" || true)
[ -z "$bad" ] || { echo "runner holds: $bad" >&2; exit 1; }
echo "contents: $(wc -l <<<"$files") entries; no shell, package manager, compiler or interpreter"
if podman run --rm --no-healthcheck --entrypoint /bin/sh "$runner" -c true >/dev/null 2>&1; then
  echo "a shell ran in the runner" >&2; exit 1
fi
echo "podman run --entrypoint /bin/sh: fails (no shell)"
size_limit=40000000
[ "$size" -lt "$size_limit" ] || { echo "runner is $size bytes, over $size_limit" >&2; exit 1; }

echo "== run it"
"$root/scripts/images/check-runner.sh" "$runner"

echo "== rebuild after a one-line source change"
# A copy of the work tree with one line added to a source file, built under another tag: the
# images of this work tree stay as they are.
copy=$(mktemp -d /var/tmp/berth-oneline.XXXXXX)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$copy" -xf -
# The change: one log message of berth serve that no test reads (so the binary really changes and
# the builder's tests still pass); a comment line when that message is gone.
if grep -q 'tracing::info!("stopped");' "$copy/crates/berth/src/serve.rs"; then
  sed -i 's/tracing::info!("stopped");/tracing::info!("stopped (one-line change)");/' "$copy/crates/berth/src/serve.rs"
  echo "change: crates/berth/src/serve.rs, log message \"stopped\" -> \"stopped (one-line change)\""
else
  echo '// one-line change' >> "$copy/crates/berth/src/serve.rs"
  echo "change: a comment line appended to crates/berth/src/serve.rs"
fi
meta=(REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)")
timed rebuild-after-one-line build "$logs/rebuild.log" -C "$copy" build-images TAG=oneline "${MAKE_ARGS[@]}" "${meta[@]}"
# The steps that ran (not "Using cache"); every other step of the five images came from the cache:
awk '/^(\[[0-9]+\/[0-9]+\] )?STEP [0-9]+\/[0-9]+: FROM / {if (s != "") print s; s=""; next}
     /^(\[[0-9]+\/[0-9]+\] )?STEP [0-9]+\/[0-9]+:/ {if (s != "") print s; s=$0; next}
     /Using cache/ {s=""} /COMMIT/ {if (s != "") print s; s=""}' "$logs/rebuild.log" |
  cut -c1-110 | sed 's/^/  ran: /'
for i in base base-builder builder base-runner runner; do podman rmi "$prefix-$i:oneline" >/dev/null 2>&1 || true; done
echo "images-test: OK"
