FROM a:1
RUN a
ENV X=1
RUN b
RUN --network=none c
