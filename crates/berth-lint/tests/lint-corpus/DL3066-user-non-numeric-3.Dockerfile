FROM alpine:3.20
RUN adduser -D -u 10001 app
USER app
