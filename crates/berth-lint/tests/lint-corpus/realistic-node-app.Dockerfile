FROM node:latest as deps
WORKDIR /app
COPY package.json yarn.lock ./
RUN yarn install
RUN npm install -g pm2
FROM node:22-alpine
RUN apk add --update curl
RUN curl -fsSL https://example.com/setup.sh | sh
COPY --from=deps /app/node_modules ./node_modules
COPY . .
ENTRYPOINT ["node"]
CMD ["server.js"]
CMD ["other.js"]
