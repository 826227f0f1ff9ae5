FROM alpine:3.20
ENV X=${UNSET:?must be set}
