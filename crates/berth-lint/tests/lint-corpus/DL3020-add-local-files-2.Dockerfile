FROM a:1
ADD x.tar.gz /y
ADD https://e.com/f /y
