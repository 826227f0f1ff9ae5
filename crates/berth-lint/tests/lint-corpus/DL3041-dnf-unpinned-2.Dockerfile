FROM a:1
RUN dnf install -y httpd-2.4.62
