FROM debian:12
ARG VERSION=1.0
# hadolint ignore=SC2086
RUN echo $version_suffix
RUN echo "$VERSION"
