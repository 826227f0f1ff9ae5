FROM alpine:3.20
    ENV APP=/opt/app BIN=$APP/bin
