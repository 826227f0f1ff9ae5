FROM alpine:3.20
    COPY a.txt b.txt /data
