FROM alpine:3.20
ONBUILD COPY --from=builder /out /app
ONBUILD RUN ["make"]
onbuild add . /src
