
# escape=`
FROM alpine:3.20
RUN echo a `
RUN echo b
