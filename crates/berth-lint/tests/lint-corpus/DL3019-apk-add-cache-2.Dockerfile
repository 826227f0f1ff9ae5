FROM a:1
RUN apk add --no-cache x=1
RUN --mount=type=cache,target=/var/cache/apk apk add x=1
