FROM alpine:3.20
ENV APP=/opt/app
ENV BIN=$APP/bin
