FROM a:1
RUN pip install x==1
