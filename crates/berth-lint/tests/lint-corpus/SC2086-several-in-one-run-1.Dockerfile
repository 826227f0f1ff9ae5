FROM debian:12
RUN cd /tmp; echo $release_name
