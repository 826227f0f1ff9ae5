FROM alpine:3.20
COPY -x --link a b
