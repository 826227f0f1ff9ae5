FROM --platform=linux/arm64 arm64v8/alpine:3
FROM alpine:3
