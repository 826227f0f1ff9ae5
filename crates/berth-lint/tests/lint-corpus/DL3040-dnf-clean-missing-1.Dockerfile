FROM a:1
RUN dnf install -y x-1
