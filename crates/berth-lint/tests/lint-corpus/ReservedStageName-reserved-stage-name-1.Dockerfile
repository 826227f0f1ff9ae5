FROM a:1 AS context
