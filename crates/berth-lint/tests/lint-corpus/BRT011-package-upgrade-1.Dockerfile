FROM a:1
RUN apt-get update && apt-get upgrade -y
