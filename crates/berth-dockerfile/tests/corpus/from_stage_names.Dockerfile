FROM alpine:3.20 AS Build
FROM build AS test
FROM Build
