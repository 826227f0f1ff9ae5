FROM debian:12
RUN <<EOT bash -euo pipefail
apt-get update
apt-get install -y curl
pip install flask
EOT

RUN <<EOT sh -ex
wget https://example.com/tool.tar.gz
EOT

RUN <<EOT /bin/bash
apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u2
EOT
