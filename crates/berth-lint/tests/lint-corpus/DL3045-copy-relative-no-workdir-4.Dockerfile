FROM python:3.12-slim
WORKDIR /srv
COPY app.py app/
