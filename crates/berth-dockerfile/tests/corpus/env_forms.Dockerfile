FROM alpine:3.20
ENV A=1 B="x y" C=Rex\ The\ Dog
ENV LEGACY value with spaces
ENV ONE TWO= THREE=world
LABEL "com.example.vendor"="ACME" version=1.0
LABEL legacy label value
