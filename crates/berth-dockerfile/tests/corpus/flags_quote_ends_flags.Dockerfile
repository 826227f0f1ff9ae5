FROM alpine:3.20
COPY "--from=x" y z
