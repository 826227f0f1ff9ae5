# syntax=docker/dockerfile:1
FROM debian:12
RUN <<EOT
mkdir -p /srv
cd /srv
touch ready
EOT
