FROM fedora:40
ARG HTTPD_VERSION=2.4.62
RUN dnf install -y httpd-$HTTPD_VERSION mod_ssl-${HTTPD_VERSION} && dnf clean all
RUN dnf install -y httpd-$HTTPD_VERSIONS && dnf clean all
