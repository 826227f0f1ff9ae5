FROM a:1
run x
COPY a b
