FROM a:1
RUN echo sudo
