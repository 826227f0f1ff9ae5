from alpine:3.20
run <<eof
echo lower
eof
copy <<end /x
y
end
