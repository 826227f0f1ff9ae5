FROM alpine:3.20
    LABEL Maintainer="jane"
