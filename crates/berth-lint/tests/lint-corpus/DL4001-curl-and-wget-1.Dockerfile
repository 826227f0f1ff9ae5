FROM a:1
RUN curl x
RUN wget y
RUN ls
