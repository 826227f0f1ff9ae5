FROM a:1 AS scratch
