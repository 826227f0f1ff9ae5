FROM a:1 AS b
ENV PIP_NO_CACHE_DIR=1
FROM b
RUN pip install x==1
RUN pip install --no-cache-dir y
