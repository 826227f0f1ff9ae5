FROM debian:12
RUN <<EOT bash
curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/k.gpg
EOT

RUN <<EOT
head -c 16 /dev/urandom | od -An -tx1 > /etc/id
EOT
