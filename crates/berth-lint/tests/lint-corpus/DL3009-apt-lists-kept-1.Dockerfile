FROM a:1
RUN apt-get update && apt-get install -y x
