FROM alpine:3.20
onbuild cmd ["x"]
ONBUILD   ENV A=1 B=2
ONBUILD LABEL k v
