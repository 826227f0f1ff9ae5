FROM a:1
RUN yum install -y x
