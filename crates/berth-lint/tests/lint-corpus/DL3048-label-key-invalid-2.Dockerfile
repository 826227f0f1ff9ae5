FROM a:1
LABEL org.example.version=1 maintainer=x
