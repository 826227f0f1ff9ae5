FROM alpine:3.20
CMD ["python", \
     "-m", \
     # comment in json continuation
     "http.server"]
