FROM a:1
RUN apt-get update && service x start
