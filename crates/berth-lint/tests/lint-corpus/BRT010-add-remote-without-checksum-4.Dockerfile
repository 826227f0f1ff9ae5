FROM alpine:3.20
    ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0a6ff5ea2e3 https://example.com/tool-1.2.tar.gz /opt/
