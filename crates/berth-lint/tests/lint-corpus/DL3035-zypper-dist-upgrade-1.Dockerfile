FROM a:1
RUN zypper dup -y
