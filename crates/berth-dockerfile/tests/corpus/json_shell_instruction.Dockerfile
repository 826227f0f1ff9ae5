FROM alpine:3.20
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN echo a | cat
