FROM debian:12
    RUN mkdir /app && chown 1000 /app
