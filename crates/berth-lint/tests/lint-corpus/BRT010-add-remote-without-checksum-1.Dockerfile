FROM a:1
ADD https://e.com/x.tgz /x/
