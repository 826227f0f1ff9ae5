FROM debian:12
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN if [ "$(uname -m)" == "x86_64" ]; then echo amd64; fi
