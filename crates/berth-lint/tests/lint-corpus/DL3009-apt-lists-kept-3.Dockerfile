FROM a:1 AS b
RUN apt-get update
FROM b
RUN x
