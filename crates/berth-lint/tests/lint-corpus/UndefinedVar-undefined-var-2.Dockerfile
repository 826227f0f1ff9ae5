FROM a:1
ARG X=1
COPY $X /y
RUN echo $Y
