FROM a:1
RUN echo ps top
