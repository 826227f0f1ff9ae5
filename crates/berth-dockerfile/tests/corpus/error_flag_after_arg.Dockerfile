FROM alpine:3.20 --platform=linux/amd64
