FROM a:1
RUN useradd -u 123456 app
