FROM debian:12
RUN echo "building for ${platform}"
