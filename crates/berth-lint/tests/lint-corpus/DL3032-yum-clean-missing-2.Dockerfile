FROM a:1
RUN yum install -y x-1 && yum clean all
