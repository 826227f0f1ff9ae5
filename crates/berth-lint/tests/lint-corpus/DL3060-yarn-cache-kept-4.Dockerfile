FROM node:22-slim
    RUN yarn install && yarn cache clean
