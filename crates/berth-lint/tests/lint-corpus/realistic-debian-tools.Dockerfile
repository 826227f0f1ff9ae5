FROM debian:12.7-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20230311 curl=7.88.1-10+deb12u7 \
 && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/example.gpg
RUN wget https://example.com/tool.tar.gz && tar -xzf tool.tar.gz
RUN useradd -u 1234567 builder
RUN sudo -u builder make
WORKDIR build
COPY a.txt b.txt /opt/data
USER root
