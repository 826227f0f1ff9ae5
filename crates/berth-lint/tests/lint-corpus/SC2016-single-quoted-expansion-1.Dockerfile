FROM debian:12
RUN echo 'home is $HOME' > /etc/motd
