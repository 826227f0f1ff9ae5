ARG PYTHON=3.12
ARG VARIANT=slim
FROM python:${PYTHON}-${VARIANT} AS wheels
COPY requirements.txt /tmp/
RUN --mount=type=cache,target=/root/.cache/pip pip wheel -r /tmp/requirements.txt -w /wheels

FROM python:${PYTHON}-${VARIANT}
ARG APP_USER=svc
RUN --mount=from=wheels,source=/wheels,target=/wheels pip install --no-cache-dir /wheels/*
RUN useradd ${APP_USER}
COPY --chown=${APP_USER} src/ /app/
USER ${APP_USER}
EXPOSE 8000 9090/tcp
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8000/health
CMD ["python", "-m", "app"]
