FROM alpine:3.20
COPY --form=x a b
