# .dockerignore: *.md
FROM alpine:3.20
COPY README.md /docs/
