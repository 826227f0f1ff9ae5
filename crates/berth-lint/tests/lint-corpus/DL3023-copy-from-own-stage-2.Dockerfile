FROM a:1 AS b
FROM c:1 AS d
COPY --from=b /a /b
