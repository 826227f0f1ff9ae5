FROM debian:12
WORKDIR /app
RUN mkdir -p /app/data \
    && chmod 755 $target
