FROM alpine:3.20
RUN apk add \
   # the compiler
    gcc \
# and make
    make
