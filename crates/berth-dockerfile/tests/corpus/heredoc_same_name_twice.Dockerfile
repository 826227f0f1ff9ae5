FROM alpine:3.20
COPY <<EOF <<EOF /dst/
one
EOF
two
EOF
