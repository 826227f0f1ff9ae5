FROM a:1
COPY . /app
RUN pip install -r /app/requirements.txt
