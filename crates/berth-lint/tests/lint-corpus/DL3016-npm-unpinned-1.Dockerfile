FROM a:1
RUN npm install -g ts
