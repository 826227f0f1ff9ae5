FROM a:1 as b
