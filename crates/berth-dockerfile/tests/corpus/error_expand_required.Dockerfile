FROM alpine:3.20
ENV X=${UNSET:?must_be_set}
