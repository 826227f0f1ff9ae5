FROM debian:12
ARG VERSION=1.0
ENV PREFIX=/opt
# Declared names are defined and hold a plain value: ShellCheck says nothing.
RUN echo $VERSION $PREFIX $HTTP_PROXY
