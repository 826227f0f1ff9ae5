# hadolint global ignore=DL3059
FROM debian:12
# hadolint ignore=DL3008,DL3015
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
RUN echo one
RUN echo two
# hadolint ignore=DL3025
CMD echo done
