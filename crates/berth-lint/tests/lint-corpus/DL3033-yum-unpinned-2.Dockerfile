FROM a:1
ARG V
RUN yum install -y httpd-2.4.6 x-${V} y-1.0.rpm
