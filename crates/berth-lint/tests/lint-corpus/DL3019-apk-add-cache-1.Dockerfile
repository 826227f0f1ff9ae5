FROM a:1
RUN apk add x=1
