FROM a:1
RUN zypper -n install x=1
