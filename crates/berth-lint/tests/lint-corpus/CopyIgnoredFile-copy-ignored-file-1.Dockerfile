FROM a:1
COPY x /y
