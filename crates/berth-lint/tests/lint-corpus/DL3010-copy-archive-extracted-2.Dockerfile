FROM a:1
COPY x.tar.gz /tmp/
RUN cat /tmp/x.tar.gz
