FROM alpine:${V}
