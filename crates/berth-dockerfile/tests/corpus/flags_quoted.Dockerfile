FROM alpine:3.20 AS b
FROM alpine:3.20
COPY --from="b" --chown='1000:1000' /a /b
