FROM a:1
RUN yarn install
