FROM centos:7
MAINTAINER ops@example.com
RUN yum install httpd && yum clean all
RUN yum -y install php
ADD site /var/www/html
ENV APACHE_RUN_USER apache
EXPOSE 80/TCP
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
CMD ["/usr/sbin/httpd", "-D", "FOREGROUND"]
