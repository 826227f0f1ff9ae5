FROM a:1 AS b
RUN x
FROM c:1
COPY --from=b /x /x
