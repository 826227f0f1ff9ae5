FROM a:1
RUN apt-get install -y curl
