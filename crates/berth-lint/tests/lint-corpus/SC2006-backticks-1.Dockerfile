FROM debian:12
RUN X="`uname -m`" && echo "$X"
