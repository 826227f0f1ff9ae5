FROM a:1
RUN apt install x
