FROM alpine:3.20
    ENV PIP_INDEX_URL=https://ci:s3cr3t@pypi.example.com/simple
