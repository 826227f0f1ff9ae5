FROM a:1
ADD x /y
