FROM alpine:3.20
    COPY $APP_DIR /app
