RUN echo before from
FROM alpine:3.20
