FROM alpine:3.20 AS a
COPY --from=b /x /x
FROM alpine:3.20 AS b
