FROM python:3.12-slim AS deps
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked --mount=type=secret,id=token,env=TOKEN --mount=type=ssh,required pip install -r requirements.txt
FROM deps
RUN --mount=from=deps,source=/usr/local,target=/opt/deps ls /opt/deps
