FROM a:1
RUN apk add --virtual deps curl=1 x~2
