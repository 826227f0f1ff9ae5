FROM a:1
RUN apt-get install -t bookworm-backports -y curl=1
