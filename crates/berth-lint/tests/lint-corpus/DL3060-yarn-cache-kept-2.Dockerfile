FROM a:1
RUN yarn install && yarn cache clean
