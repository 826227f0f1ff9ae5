FROM a:1
RUN dnf install -y httpd
