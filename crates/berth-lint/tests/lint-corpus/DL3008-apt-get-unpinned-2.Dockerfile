FROM a:1
RUN apt-get install -y curl=1.0 ./x.deb
