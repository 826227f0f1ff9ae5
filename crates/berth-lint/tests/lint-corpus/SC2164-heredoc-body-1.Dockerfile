# syntax=docker/dockerfile:1
FROM debian:12
RUN <<EOT
set -e
cd /srv
touch ready
EOT
