FROM a:1
RUN pip install flask==3 ./pkg -r req.txt
RUN pip install -e . && pip install x.whl
