FROM a:1
RUN dnf install x-1
