FROM alpine:3.20 AS x
FROM alpine:3.20
COPY --chown=a\ b --from=x /s /d
COPY --chmod="755" /s /d
