FROM rust:1.80 AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN cargo fetch
COPY . .
RUN cargo build --release

FROM scratch
COPY --from=build /src/target/release/app /app
USER root
ENTRYPOINT ["/app"]
