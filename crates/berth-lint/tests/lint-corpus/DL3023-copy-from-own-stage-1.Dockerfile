FROM a:1 AS b
COPY --from=b /a /b
