FROM alpine:3.20
ONBUILD COPY <<EOF /x
content
EOF
