# Stage 1: compile the Python dependencies with the build tools
FROM python:3.11-slim AS builder
WORKDIR /app
# hadolint ignore=DL3008 # build tools follow the Debian point release of the base image
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential gcc g++ libffi-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --user --no-cache-dir -r requirements.txt

# Stage 2: the runtime image, without compilers
FROM python:3.11-slim AS runtime
WORKDIR /app
RUN useradd --create-home --uid 10001 appuser
COPY --from=builder /root/.local /home/appuser/.local
COPY --chown=appuser:appuser . .
ENV PATH=/home/appuser/.local/bin:$PATH
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["curl", "-f", "http://localhost:8000/health"]
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
