#!/usr/bin/env bash
# Create .venv with the PyPI `dockerfile` package (BuildKit's Go parser, prebuilt wheel for
# x86_64 Linux) for the differential parser test:
#   scripts/setup-parity-venv.sh && cargo test -p berth-dockerfile --test parity
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check 'dockerfile==3.4.0'
.venv/bin/python -c 'import dockerfile; print("dockerfile", "ok:", len(dockerfile.all_cmds()), "instructions")'
