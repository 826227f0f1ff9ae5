FROM a:1
ADD --checksum=sha256:00 https://e.com/x.tgz /x/
ADD x.tgz /x/
