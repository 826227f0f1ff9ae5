FROM a:1
RUN curl x
FROM b:1
RUN wget y
