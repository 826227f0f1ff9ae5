FROM alpine:3.20
LABEL description="café ☕ naïve" auteur=Zoë
RUN echo "日本語" \
  ünïcode
WORKDIR /données
