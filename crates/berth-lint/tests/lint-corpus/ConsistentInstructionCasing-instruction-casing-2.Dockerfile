from a:1
run x
