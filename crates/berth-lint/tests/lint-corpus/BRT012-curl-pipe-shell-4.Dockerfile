FROM debian:12
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0a6ff5ea2e3 https://example.com/install.sh /tmp/install.sh
RUN sh /tmp/install.sh
