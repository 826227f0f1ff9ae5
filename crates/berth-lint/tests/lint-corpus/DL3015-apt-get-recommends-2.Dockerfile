FROM a:1
RUN apt-get install -y --no-install-recommends curl
