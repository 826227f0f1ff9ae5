FROM debian:12
RUN mkdir /app
RUN chown 1000 /app
