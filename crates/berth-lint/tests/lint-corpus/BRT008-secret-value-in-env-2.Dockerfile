FROM a:1
ENV U=https://h/x V=https://a:$P@h
ARG K=abc
