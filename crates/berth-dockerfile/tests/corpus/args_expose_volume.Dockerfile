FROM alpine:3.20
EXPOSE 80 443/tcp 53/udp
VOLUME /data /logs
VOLUME ["/cache", "/tmp/x"]
