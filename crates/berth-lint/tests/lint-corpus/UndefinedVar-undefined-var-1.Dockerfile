FROM a:1
COPY $X /y
