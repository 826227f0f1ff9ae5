FROM a:1
RUN apt-get install -y curl
RUN apt-get -qq install x
RUN apt-get -q -q install x
