# The base image comes from a build argument: `docker build --build-arg BASE_IMAGE=...`.
ARG BASE_IMAGE
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS build
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt
FROM $BASE_IMAGE
COPY --from=build /install /usr/local
USER 1000
HEALTHCHECK CMD ["python", "-c", "print('ok')"]
CMD ["python", "-m", "app"]
