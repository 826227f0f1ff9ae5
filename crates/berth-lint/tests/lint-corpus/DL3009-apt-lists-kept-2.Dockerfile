FROM a:1 AS b
RUN apt-get update
FROM c:1
RUN x
