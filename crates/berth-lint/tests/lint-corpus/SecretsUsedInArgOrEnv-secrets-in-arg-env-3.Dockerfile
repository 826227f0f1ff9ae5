FROM alpine:3.20
    ARG API_KEY
