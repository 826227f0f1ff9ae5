FROM alpine:3.20
    RUN --mount=type=secret,id=pip_index_url \
    PIP_INDEX_URL=$(cat /run/secrets/pip_index_url) pip install --no-cache-dir flask==3.0.3
