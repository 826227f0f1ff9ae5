FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,source=.,target=/src --network=none go build ./...
FROM alpine:3.20
COPY --from=build --chown=app:app --chmod=0755 --link /out /app
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --keep-git-dir=false https://example.com/a.tgz /a
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 CMD wget -q -O- http://localhost/
RUN --security=insecure echo hi
