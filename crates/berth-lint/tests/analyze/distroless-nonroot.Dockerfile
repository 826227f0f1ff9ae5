# The distroless nonroot tag runs as 65532 without a USER line.
FROM python:3.12-slim AS build
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --target /app/deps -r requirements.txt
COPY . .

FROM gcr.io/distroless/python3-debian12:nonroot
COPY --from=build /app /app
ENV PYTHONPATH=/app/deps
HEALTHCHECK CMD ["python3", "/app/healthcheck.py"]
CMD ["/app/main.py"]
