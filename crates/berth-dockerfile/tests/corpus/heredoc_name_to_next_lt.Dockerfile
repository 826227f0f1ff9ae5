FROM alpine:3.20
RUN cat <<EOF>file
body
EOF>file
