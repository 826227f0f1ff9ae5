FROM debian:12 AS build
ARG VERSION=1.0
RUN echo "$VERSION"
FROM debian:12
# ARGs do not cross stages: this is an unset, unquoted name.
RUN echo $VERSION
