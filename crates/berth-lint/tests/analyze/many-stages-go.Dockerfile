# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS base
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

FROM base AS build
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -o /out/server ./cmd/server

FROM base AS test
COPY . .
RUN go test ./...

FROM alpine:3.20 AS certs
RUN apk add --no-cache ca-certificates

FROM gcr.io/distroless/static:nonroot AS final
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/server /server
USER nonroot:nonroot
EXPOSE 9000
HEALTHCHECK NONE
ENTRYPOINT ["/server"]
