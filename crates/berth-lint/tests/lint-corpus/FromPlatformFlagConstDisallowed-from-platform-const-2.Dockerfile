FROM --platform=linux/arm64 a:1 AS build-arm64
FROM --platform=$BUILDPLATFORM a:1
