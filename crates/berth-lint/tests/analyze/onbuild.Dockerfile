FROM node:20-alpine
WORKDIR /usr/src/app
ONBUILD COPY package.json package-lock.json ./
ONBUILD RUN npm ci --omit=dev
ONBUILD COPY . .
USER node
EXPOSE 3000
CMD ["node", "server.js"]
