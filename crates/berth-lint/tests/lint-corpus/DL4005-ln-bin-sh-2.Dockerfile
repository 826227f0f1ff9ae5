FROM a:1
RUN ln -s /a /b
