ARG V=1
FROM alpine:${V}
FROM --platform=$BUILDPLATFORM a:1
