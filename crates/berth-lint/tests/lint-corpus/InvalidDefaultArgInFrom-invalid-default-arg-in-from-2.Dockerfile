ARG V=3
FROM alpine:${V}
FROM b:1
