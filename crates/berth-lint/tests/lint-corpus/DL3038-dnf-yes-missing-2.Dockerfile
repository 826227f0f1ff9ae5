FROM a:1
RUN microdnf install -y x-1
