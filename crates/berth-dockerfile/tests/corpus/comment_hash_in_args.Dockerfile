FROM alpine:3.20
RUN echo a # not a comment
