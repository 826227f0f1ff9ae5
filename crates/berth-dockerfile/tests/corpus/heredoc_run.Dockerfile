FROM alpine:3.20
RUN <<EOF
apk add curl
# kept verbatim \
echo done
EOF
