FROM a:1 AS b
FROM c:1
COPY --from=b /a /b
COPY --from=0 /a /b
COPY --from=nginx:1 /a /b
