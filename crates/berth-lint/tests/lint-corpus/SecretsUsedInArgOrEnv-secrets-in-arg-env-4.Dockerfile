FROM alpine:3.20
    RUN --mount=type=secret,id=api_key ./configure
