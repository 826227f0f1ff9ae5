# A Rust build stage on a full image (a Debian release no longer published: no tag suggested
# for it) and a slim final stage: the toolchain is what the final image leaves out.
FROM rust:buster AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN cargo fetch
COPY . .
RUN cargo build --release

FROM debian:bookworm-slim
COPY --from=build /src/target/release/app /usr/local/bin/app
USER 10001
CMD ["app"]
