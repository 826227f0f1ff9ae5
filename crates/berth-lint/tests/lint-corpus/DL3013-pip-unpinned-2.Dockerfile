FROM a:1
RUN python -m pip install x
