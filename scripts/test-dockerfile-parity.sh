#!/usr/bin/env bash
# Differential test of berth's Dockerfile parser against BuildKit's (PyPI `dockerfile`).
# Creates .venv on first use, then compares every file in the parser corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] && .venv/bin/python -c 'import dockerfile' 2>/dev/null || scripts/setup-parity-venv.sh
cargo test --locked -p berth-dockerfile --test parity -- --nocapture
