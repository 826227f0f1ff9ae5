FROM alpine:3.20
ONBUILD RUN <<EOF
echo triggered
EOF
RUN echo after
