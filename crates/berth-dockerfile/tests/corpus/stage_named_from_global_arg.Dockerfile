ARG FLAVOR=alpine
FROM ${FLAVOR}:3.20 AS base
FROM base
RUN --mount=from=base,target=/b ls /b
