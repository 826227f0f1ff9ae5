FROM a:1
RUN npm install
RUN npm install ts@5 @a/b@1 ./x
