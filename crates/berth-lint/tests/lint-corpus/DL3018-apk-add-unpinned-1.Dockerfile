FROM a:1
RUN apk add curl
