FROM alpine:3.20
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
HEALTHCHECK NONE
HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
