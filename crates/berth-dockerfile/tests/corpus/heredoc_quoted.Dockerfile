FROM alpine:3.20
COPY <<'EOF' <<"EOT" /etc/
$NOT_EXPANDED
EOF
also $raw
EOT
