FROM a:1
RUN echo cd
