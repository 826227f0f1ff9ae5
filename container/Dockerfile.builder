# berth-builder: compiles berth and runs its tests; a failing test fails the image build.
# Layers, from the one that changes least to the one that changes most:
#   fixtures stage   the fixture models, made by the pinned Python env (tests/fixtures/requirements.txt)
#   ONNX Runtime     fetched and verified by scripts/fetch-onnxruntime.sh (the repo's own pin)
#   dependencies     every crate of Cargo.lock compiled against stub sources (release + test profile)
#   sources          the workspace crates: cargo build --release, then cargo test
ARG BASE_BUILDER_IMAGE=localhost/berth-base-builder:latest

FROM ${BASE_BUILDER_IMAGE} AS fixtures
WORKDIR /fixtures
COPY tests/fixtures/requirements.txt tests/fixtures/make_fixtures.py ./
# The trained models depend on OpenBLAS's kernel choice. Where the host pins it (as this project's
# machines do), the Makefile passes the same values so the fixtures equal the host's bytes.
ARG OPENBLAS_CORETYPE
ARG OPENBLAS_L2_SIZE
RUN if [ -z "${OPENBLAS_CORETYPE:-}" ]; then unset OPENBLAS_CORETYPE; fi \
 && if [ -z "${OPENBLAS_L2_SIZE:-}" ]; then unset OPENBLAS_L2_SIZE; fi \
 && python3 -m venv /opt/fixtures-venv \
 && /opt/fixtures-venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check \
      -r requirements.txt \
 && /opt/fixtures-venv/bin/python make_fixtures.py /fixtures/models > /dev/null

FROM ${BASE_BUILDER_IMAGE}
WORKDIR /build
# berth and its tests find the library in this cache (crates/berth-engine/src/library.rs).
ENV BERTH_CACHE_DIR=/opt/berth-cache
COPY scripts/onnxruntime.env scripts/fetch-onnxruntime.sh scripts/
RUN lib="$(scripts/fetch-onnxruntime.sh)" \
 && install -d /out/lib \
 && cp -P "$(dirname "$lib")"/libonnxruntime.so* /out/lib/

COPY Cargo.toml Cargo.lock ./
COPY crates/berth/Cargo.toml crates/berth/Cargo.toml
COPY crates/berth-engine/Cargo.toml crates/berth-engine/Cargo.toml
COPY crates/berth-serve/Cargo.toml crates/berth-serve/Cargo.toml
RUN mkdir -p crates/berth/src crates/berth-engine/src crates/berth-serve/src \
 && echo 'fn main() {}' > crates/berth/src/main.rs \
 && touch crates/berth-engine/src/lib.rs crates/berth-serve/src/lib.rs \
 && cargo build --locked --release \
 && cargo test --locked --no-run \
 && rm -rf crates/berth/src crates/berth-engine/src crates/berth-serve/src

COPY --from=fixtures /fixtures/models tests/fixtures/models
COPY crates crates
# touch: the stubs' artifacts above are newer than the copied sources; make cargo see the change.
RUN find crates -name '*.rs' -exec touch {} + \
 && cargo build --locked --release -p berth \
 && cargo test --locked \
 && install -D -m 0755 target/release/berth /out/bin/berth \
 && /out/bin/berth --version
