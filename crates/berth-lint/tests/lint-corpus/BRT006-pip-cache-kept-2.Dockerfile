FROM a:1
RUN pip install --no-cache-dir x==1
