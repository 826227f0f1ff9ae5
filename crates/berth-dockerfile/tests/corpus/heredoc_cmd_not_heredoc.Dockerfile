FROM alpine:3.20
CMD <<EOF
RUN echo body-is-instruction
