FROM alpine:3.20
HEALTHCHECK --interval=5m --timeout=10s \
  CMD ["/bin/check", "--quick"]
healthcheck none
