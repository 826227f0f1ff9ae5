# berth-builder: compiles berth and runs its whole test suite; a failing test fails the image build.
# Layers, from the one that changes least to the one that changes most:
#   Python env       the tests' pinned environment (tests/requirements.txt): fixture models,
#                    BuildKit's parser, hadolint, a KServe client, an OpenAPI validator
#   ONNX Runtime     fetched and verified by scripts/fetch-onnxruntime.sh (the repo's own pin)
#   dependencies     every crate of Cargo.lock compiled against stub sources (release + test profile)
#   sources          the workspace, the fixture models made from it, cargo build --release, cargo test
# The shipped binary is built without the Dockerfile tools (`--no-default-features`: the runner
# only serves) and with the size-first `dist` profile; the tests run with every feature.
ARG BASE_BUILDER_IMAGE=localhost/berth-base-builder:latest

# Builds and tests as root in a throw-away image; the runner copies only the binary and library.
# berth ignore=BRT003
FROM ${BASE_BUILDER_IMAGE}
WORKDIR /build
# berth and its tests find the library in this cache (crates/berth-engine/src/library.rs).
ENV BERTH_CACHE_DIR=/opt/berth-cache
# HTTPS from the build: where the machine reaches PyPI and crates.io through a certificate authority
# that Debian's bundle lacks (this project's machines), the build passes its bundle as the secret
# `ca` (`--secret id=ca,src=FILE`, the same flag for docker, buildah and podman). The three RUNs that
# fetch read it from /run/secrets/ca; it is in no layer. Without the secret the image's bundle is
# used. (A secret mounted over /etc/ssl/certs/ca-certificates.crt would need no variables, but
# buildah 1.28 then leaves that file out of the layer.)
COPY tests/requirements.txt tests/requirements.txt
RUN --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && python3 -m venv .venv \
 && .venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check -r tests/requirements.txt

# The two files copied here fetch ONNX Runtime; the sources come after the dependency layer.
# berth ignore=BRT004
COPY scripts/onnxruntime.env scripts/fetch-onnxruntime.sh scripts/
RUN --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && lib="$(scripts/fetch-onnxruntime.sh)" \
 && install -d /out/lib \
 && cp -P "$(dirname "$lib")"/libonnxruntime.so* /out/lib/

COPY Cargo.toml Cargo.lock ./
COPY crates/berth/Cargo.toml crates/berth/Cargo.toml
COPY crates/berth-engine/Cargo.toml crates/berth-engine/Cargo.toml
COPY crates/berth-serve/Cargo.toml crates/berth-serve/Cargo.toml
COPY crates/berth-dockerfile/Cargo.toml crates/berth-dockerfile/Cargo.toml
COPY crates/berth-lint/Cargo.toml crates/berth-lint/Cargo.toml
COPY crates/berth-oci/Cargo.toml crates/berth-oci/Cargo.toml
COPY bench/reference-server/Cargo.toml bench/reference-server/Cargo.toml
RUN --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi \
 && for crate in berth-engine berth-serve berth-dockerfile berth-lint berth-oci; do \
      mkdir -p "crates/$crate/src" && touch "crates/$crate/src/lib.rs"; \
    done \
 && mkdir -p crates/berth/src crates/berth/tests bench/reference-server/src crates/berth-engine/benches \
 && touch crates/berth/tests/analyze_cli.rs crates/berth/tests/lint_cli.rs crates/berth/tests/package.rs \
 && echo 'fn main() {}' > crates/berth/src/main.rs \
 && echo 'fn main() {}' > bench/reference-server/src/main.rs \
 && echo 'fn main() {}' > crates/berth-engine/benches/engine.rs \
 && cargo build --locked --profile dist -p berth --no-default-features \
 && cargo test --locked --no-run \
 && rm -rf crates bench

COPY crates crates
COPY bench/reference-server bench/reference-server
COPY scripts scripts
COPY docs docs
# A test checks the README's settings table against the command line.
COPY README.md README.md
COPY examples/analyze examples/analyze
# A test analyzes berth's own runner Dockerfile.
COPY container/Dockerfile.runner container/Dockerfile.runner
COPY tests tests
# The trained models depend on OpenBLAS's kernel choice. Where the host pins it (as this project's
# machines do), the Makefile passes the same values so the fixtures equal the host's bytes.
ARG OPENBLAS_CORETYPE
ARG OPENBLAS_L2_SIZE
# touch: the stubs' artifacts above are newer than the copied sources; make cargo see the change.
# CI=true: tests that need the Python env must not skip (it is here). The tests of `berth package`
# and of the registry client are #[ignore]d here: they need a registry, podman and the Docker
# Engine, which a build has not (make test and scripts/images/push-test.sh run them on the host).
RUN if [ -z "${OPENBLAS_CORETYPE:-}" ]; then unset OPENBLAS_CORETYPE; fi \
 && if [ -z "${OPENBLAS_L2_SIZE:-}" ]; then unset OPENBLAS_L2_SIZE; fi \
 && .venv/bin/python tests/fixtures/make_fixtures.py tests/fixtures/models > /dev/null \
 && find crates bench -name '*.rs' -exec touch {} + \
 && cargo build --locked --profile dist -p berth --no-default-features \
 && CI=true scripts/test-summary.sh cargo test --locked \
 && install -D -m 0755 target/dist/berth /out/bin/berth \
 && /out/bin/berth --version
