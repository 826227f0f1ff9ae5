FROM a:1
COPY requirements.txt /app/
RUN pip install -r /app/requirements.txt
COPY . /app
