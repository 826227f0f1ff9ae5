FROM a:1
USER app
