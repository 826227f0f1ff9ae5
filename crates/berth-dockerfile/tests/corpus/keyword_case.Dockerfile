from alpine:3.20 as base
run echo lower
Run echo mixed
COPY a b
