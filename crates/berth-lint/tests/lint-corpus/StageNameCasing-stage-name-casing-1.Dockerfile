FROM a:1 AS Build
