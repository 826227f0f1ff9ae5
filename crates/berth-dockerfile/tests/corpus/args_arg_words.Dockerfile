ARG A B=2
ARG C="with space" D
FROM alpine:3.20
ARG A
