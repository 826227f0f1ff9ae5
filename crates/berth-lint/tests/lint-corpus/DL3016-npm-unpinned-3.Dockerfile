FROM node:22-slim
    RUN npm install -g typescript
