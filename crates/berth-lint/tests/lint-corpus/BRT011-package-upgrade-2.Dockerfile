FROM a:1
RUN apt-get update
RUN dnf upgrade -y openssl-3.2
