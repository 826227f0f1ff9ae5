#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make images-test: on a machine that reaches no image registry, build the five-image chain from
# local stand-in bases pinned by their local digests, run the runner and check it from the host,
# print its size and user, then time a rebuild after a one-line source change.
#   ENGINE=buildah (default)  buildah builds, podman runs (a private store, env.sh)
#   ENGINE=docker             the Docker Engine builds (BuildKit) and runs; the stand-ins are put
#                             into it by docker-stand-ins.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
engine=${ENGINE:-buildah}
[ "$engine" = docker ] || engine=buildah
logs=$BERTH_IMAGES_HOME/logs
[ "$engine" = buildah ] || logs+=-$engine
mkdir -p "$logs"
prefix=localhost/berth
runner=$prefix-runner:latest

timed install-tools "$root/scripts/images/install-tools.sh"
timed stand-ins "$root/scripts/images/make-stand-ins.sh"
if [ "$engine" = docker ]; then
  docker info --format 'docker: engine {{.ServerVersion}}, storage {{.Driver}}, client for builds: '"$(scripts/images/docker-client.sh)"
  timed docker-stand-ins "$root/scripts/images/docker-stand-ins.sh"
fi
set_make_args "$engine"

build() { # build LOG make-args...: run make quietly, show the log's tail on failure
  local log=$1; shift
  make --no-print-directory "$@" >"$log" 2>&1 || { tail -40 "$log" >&2; echo "build failed: $log" >&2; return 1; }
}
timed build-images build "$logs/build-images.log" build-images "${MAKE_ARGS[@]}"
# (BuildKit prefixes each line of a RUN's output with "#<step> <seconds> ".)
awk '{sub(/^#[0-9]+ [0-9.]+ /, "")} /^test result:/ {n++; p += $4; f += $6}
     END {if (n) printf "  tests run in the builder: %d passed, %d failed (%d test binaries)\n", p, f, n; else print "  tests: all layers from the cache"}' \
  "$logs/build-images.log"

echo "== the runner image"
if [ "$engine" = docker ]; then
  run=docker
  inspect() { docker image inspect --format "$1" "$runner"; }
  labels=.Config.Labels health=.Config.Healthcheck
  source_ref=docker-daemon:$runner
else
  run=podman
  inspect() { podman image inspect --format "$1" "$runner"; }
  labels=.Labels health=.HealthCheck
  source_ref=containers-storage:$runner
fi
size=$(inspect '{{.Size}}')
oci=$(mktemp -u /var/tmp/berth-runner.XXXXXX.oci.tar)
skopeo copy --quiet "$source_ref" "oci-archive:$oci:berth-runner"
gz=$(stat -c %s "$oci"); rm -f "$oci"
echo "size: $(mb "$size") MB uncompressed ($size bytes), $(mb "$gz") MB compressed (oci-archive, gzip layers)"
echo "image ID: $(inspect '{{.Id}}')"
$run images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep "^  $prefix-" || true
echo "user: $(inspect '{{.Config.User}}')"
echo "entrypoint/cmd: $(inspect '{{json .Config.Entrypoint}} {{json .Config.Cmd}}')"
healthcheck=$(inspect "{{json $health}}")
echo "healthcheck: $healthcheck"
grep -q '"berth","healthcheck"' <<<"$healthcheck" || { echo "the image has lost its HEALTHCHECK" >&2; exit 1; }
inspect "{{range \$k, \$v := $labels}}{{\$k}}={{\$v}}{{\"\\n\"}}{{end}}" |
  grep '^org.opencontainers' | sed 's/^/label: /'
# No shell, no package manager, no compiler: list the image's files.
ctr=$($run create "$runner")
files=$($run export "$ctr" | tar -t)
$run rm "$ctr" >/dev/null
bad=$(grep -E '(^|/)(s?bin/)?(sh|bash|dash|busybox|apt|apt-get|dpkg|cc|gcc|rustc|cargo|python3?)$' <<<"$files" || true)
[ -z "$bad" ] || { echo "runner holds: $bad" >&2; exit 1; }
echo "contents: $(wc -l <<<"$files") entries; no shell, package manager, compiler or interpreter"
if [ "$engine" = docker ]; then no_hc=(); else no_hc=(--no-healthcheck); fi
if $run run --rm "${no_hc[@]}" --entrypoint /bin/sh "$runner" -c true >/dev/null 2>&1; then
  echo "a shell ran in the runner" >&2; exit 1
fi
echo "$run run --entrypoint /bin/sh: fails (no shell)"
size_limit=40000000
[ "$size" -lt "$size_limit" ] || { echo "runner is $size bytes, over $size_limit" >&2; exit 1; }

echo "== run it"
ENGINE=$run "$root/scripts/images/check-runner.sh" "$runner"

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
# The steps that ran (not "Using cache" / "CACHED"); every other step of the five images came from
# the cache:
if [ "$engine" = docker ]; then
  # BuildKit's plain progress: "#N [stage i/n] INSTRUCTION" names step N, "#N CACHED" says it came
  # from the cache; each of the five builds numbers its steps from #1 again.
  python3 - "$logs/rebuild.log" <<'PY'
import re, sys
names, cached = {}, set()
def flush():
    for n in sorted(names):
        if n not in cached and not names[n].startswith("[internal]") and "] FROM " not in names[n]:
            print("  ran: " + names[n][:104])
    names.clear(); cached.clear()
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip()
    step = re.match(r"#(\d+) (\[.*)", line)
    if step:
        n = int(step.group(1))
        if n == 1 and names:
            flush()
        names.setdefault(n, step.group(2))
    elif re.match(r"#\d+ CACHED$", line):
        cached.add(int(line[1:].split()[0]))
flush()
PY
else
  awk '/^(\[[0-9]+\/[0-9]+\] )?STEP [0-9]+\/[0-9]+: FROM / {if (s != "") print s; s=""; next}
       /^(\[[0-9]+\/[0-9]+\] )?STEP [0-9]+\/[0-9]+:/ {if (s != "") print s; s=$0; next}
       /Using cache/ {s=""} /COMMIT/ {if (s != "") print s; s=""}' "$logs/rebuild.log" |
    cut -c1-110 | sed 's/^/  ran: /'
fi
for i in base base-builder builder base-runner runner; do $run rmi "$prefix-$i:oneline" >/dev/null 2>&1 || true; done
echo "images-test: OK"
