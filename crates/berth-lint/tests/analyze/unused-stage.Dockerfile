FROM python:3.11-slim AS docs
RUN pip install mkdocs
RUN mkdocs build

FROM python:3.11-slim AS builder
COPY requirements.txt .
RUN pip wheel --no-cache-dir -r requirements.txt -w /wheels

FROM python:3.11-slim
COPY --from=builder /wheels /wheels
RUN pip install --no-cache-dir /wheels/*
COPY . /app
USER 1000
CMD ["python", "/app/main.py"]
