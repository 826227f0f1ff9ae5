FROM a:1
RUN zypper up -y
