FROM debian:12
RUN <<EOF python3
apt-get install -y curl
EOF
