FROM alpine:3.20
ONBUILD from alpine
