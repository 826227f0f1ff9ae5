#!/usr/bin/env bash
# Benchmark (not a test): lint the whole lint corpus with berth (release build, files in
# parallel) and with hadolint (.venv/bin/hadolint, from `make venv`) in one run; each tool runs
# RUNS times over all files in one process, the median wall time is reported with the ratio.
# Both print JSON to /dev/null with --no-fail, so output formatting is included for both.
# CORPUS=real-world: the real-world corpus instead (`make real-world-corpus`).
# berth runs without ShellCheck (its own rules only) and, when `shellcheck` is installed, with it
# (--shellcheck on: hadolint always runs its embedded ShellCheck), twice: with no cache (every
# script checked) and with a warm cache of ShellCheck's findings (the scripts seen before, as on
# a second run over the same files).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-7}"
HADOLINT=.venv/bin/hadolint
[ -x "$HADOLINT" ] || { echo "bench-lint: $HADOLINT missing, run make venv"; exit 2; }
cargo build --release --locked --quiet -p berth
BERTH=./target/release/berth
case "${CORPUS:-lint}" in
    lint) mapfile -t files < <(ls crates/berth-lint/tests/lint-corpus/*.Dockerfile) ;;
    real-world)
        [ -d .cache/real-world/corpus ] || { echo "bench-lint: run make real-world-corpus"; exit 2; }
        mapfile -t files < <(find .cache/real-world/corpus -type f | sort) ;;
    *) echo "bench-lint: CORPUS is lint or real-world"; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median_ms() { # command...: median wall time of RUNS runs, in milliseconds
    local times=()
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s%N)
        (cd "$tmp" && "$@" > /dev/null)
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
abs=("${files[@]/#/$PWD/}")
berth_ms=$(median_ms "$PWD/$BERTH" lint --no-fail -f json --shellcheck off "${abs[@]}")
if command -v shellcheck > /dev/null; then
    berth_sc_ms=$(median_ms "$PWD/$BERTH" lint --no-fail -f json --shellcheck on --shellcheck-cache off "${abs[@]}")
    "$PWD/$BERTH" lint --no-fail -f json --shellcheck on --shellcheck-cache "$tmp/cache" "${abs[@]}" > /dev/null
    berth_warm_ms=$(median_ms "$PWD/$BERTH" lint --no-fail -f json --shellcheck on --shellcheck-cache "$tmp/cache" "${abs[@]}")
fi
hadolint_ms=$(median_ms "$PWD/$HADOLINT" --no-fail -f json "${abs[@]}")
echo "files: ${#files[@]}, runs: $RUNS (median), cores: $(nproc)"
echo "berth lint: ${berth_ms} ms (without ShellCheck)"
if [ -n "${berth_sc_ms:-}" ]; then
    echo "berth lint: ${berth_sc_ms} ms (with $(shellcheck --version | sed -n 's/^version: /ShellCheck /p'), no cache)"
    echo "berth lint: ${berth_warm_ms} ms (with ShellCheck, its findings cached from an earlier run)"
fi
echo "hadolint:   ${hadolint_ms} ms"
awk -v b="$berth_ms" -v h="$hadolint_ms" 'BEGIN {printf "ratio: berth is %.1fx faster (without ShellCheck)\n", h / b}'
if [ -n "${berth_sc_ms:-}" ]; then
    awk -v b="$berth_sc_ms" -v h="$hadolint_ms" 'BEGIN {printf "ratio: berth is %.1fx faster (with ShellCheck, no cache)\n", h / b}'
    awk -v b="$berth_warm_ms" -v h="$hadolint_ms" 'BEGIN {printf "ratio: berth is %.1fx faster (with ShellCheck, cache warm)\n", h / b}'
fi
