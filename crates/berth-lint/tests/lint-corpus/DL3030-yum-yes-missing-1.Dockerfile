FROM a:1
RUN yum install x
