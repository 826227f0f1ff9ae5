FROM a:1
RUN useradd -l -u 123456 app
RUN useradd -u 1000 app
