FROM debian:12
RUN if [ "$(uname -m)" == "x86_64" ]; then echo amd64; fi
