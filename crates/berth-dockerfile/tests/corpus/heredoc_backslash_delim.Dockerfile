FROM alpine:3.20
RUN cat <<\EOF
still $EXPANDED
EOF
