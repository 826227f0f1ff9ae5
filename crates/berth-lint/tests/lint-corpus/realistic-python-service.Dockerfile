# syntax=docker/dockerfile:1
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y build-essential
COPY requirements.txt .
RUN pip install --prefix=/install -r requirements.txt
COPY . .

FROM python:${PYTHON_VERSION}-slim
COPY --from=build /install /usr/local
COPY --from=build /src/app /app
ENV API_TOKEN=changeme
EXPOSE 8080
USER app
CMD python -m app
