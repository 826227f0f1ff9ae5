#!/usr/bin/env bash
# Run `berth analyze` on every Dockerfile in the repository (CI: they must all parse; the
# report itself is informational). Exit 2 from berth means a file did not parse.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet -p berth
status=0
while IFS= read -r -d '' file; do
    echo "== berth analyze $file"
    ./target/debug/berth analyze "$file" > /dev/null || status=1
done < <(find . -path ./target -prune -o -path ./.venv -prune -o -path ./.cache -prune -o -path ./crates -prune -o \
    -type f \( -name 'Dockerfile' -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) -print0)
exit "$status"
