FROM alpine:3.20
RUN python3 - <<'PY' && echo done
print('x')
PY
