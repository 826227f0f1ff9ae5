#!/usr/bin/env bash
# Run `berth lint` on every Dockerfile of the repository; any finding fails (CI: the project's
# own Dockerfiles must be clean). Test corpora under crates/ are deliberately bad and skipped, and
# so is .cache/ (the real-world corpus of other projects, `make real-world-corpus`).
# ShellCheck checks the RUN scripts too: required under CI (make test-tools installs it), used
# when found otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet -p berth
mapfile -d '' files < <(find . -path ./target -prune -o -path ./.venv -prune -o -path ./.cache -prune -o -path ./crates -prune -o \
    -type f \( -name 'Dockerfile' -o -name 'Dockerfile.*' -o -name '*.Dockerfile' -o -name 'Containerfile' \) -print0)
if [ "${#files[@]}" -eq 0 ]; then
    echo "lint-repo-dockerfiles: no Dockerfile found"
    exit 0
fi
shellcheck_mode=auto
if [ -n "${CI:-}" ]; then shellcheck_mode=on; fi
./target/debug/berth lint --failure-threshold style --shellcheck "$shellcheck_mode" "${files[@]}"
