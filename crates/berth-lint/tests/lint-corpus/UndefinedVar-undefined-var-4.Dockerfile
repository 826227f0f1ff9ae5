FROM alpine:3.20
ARG APP_DIR=src
COPY $APP_DIR /app
