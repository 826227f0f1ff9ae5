FROM a:1
RUN a \

 b
