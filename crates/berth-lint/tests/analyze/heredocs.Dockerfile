# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends gcc libpq-dev
pip install --no-cache-dir --prefix=/install psycopg2
EOF
FROM python:3.12-slim
COPY --from=build /install /usr/local
COPY <<'EOF' /app/main.py
print("hello from $HOME")
EOF
RUN useradd app
USER app
HEALTHCHECK --interval=10s CMD ["python", "-c", "print('ok')"]
CMD ["python", "/app/main.py"]
