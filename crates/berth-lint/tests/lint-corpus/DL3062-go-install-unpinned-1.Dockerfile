FROM a:1
RUN go install x.org/y@latest
