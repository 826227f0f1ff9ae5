# escape=`
FROM alpine:3.20
RUN echo \
RUN echo c:\dir
