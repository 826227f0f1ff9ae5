FROM alpine:3.20
USER app staff
WORKDIR /srv/my app
MAINTAINER someone <a@example.com>
STOPSIGNAL SIGKILL
