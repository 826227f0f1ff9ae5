FROM a:1
RUN wget http://x
