# comment

FROM alpine:3.20


RUN a \
  b \
  c
RUN d
