FROM a:1
RUN cd /x && make
