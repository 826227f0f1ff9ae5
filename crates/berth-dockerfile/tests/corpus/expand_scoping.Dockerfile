ARG BASE=alpine
ARG TAG=3.20
FROM ${BASE}:${TAG} AS base
ARG TAG
ENV APP_HOME=/srv/app V=${TAG:-none}
WORKDIR $APP_HOME
COPY ./src ${APP_HOME}/src
FROM base AS child
USER ${NOPE:-app}
COPY \$literal /x
