FROM alpine:3.20
RUN echo a<<EOF
RUN echo <<< x
