FROM a:1
COPY x.tar.gz /tmp/
RUN tar -xf /tmp/x.tar.gz
