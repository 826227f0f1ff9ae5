FROM a:latest
