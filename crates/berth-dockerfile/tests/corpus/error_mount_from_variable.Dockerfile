FROM alpine:3.20
ARG S=x
RUN --mount=from=$S,target=/x ls
