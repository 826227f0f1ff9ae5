FROM alpine:3.20
# escape=`
RUN echo a \
  b
