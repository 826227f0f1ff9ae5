FROM golang:1.23 AS build
RUN go build -o /app .
FROM alpine:3.20
COPY --from=build /app /app
CMD ["/app"]
