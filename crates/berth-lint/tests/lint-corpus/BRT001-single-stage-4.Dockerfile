FROM golang:1.23 AS build
COPY . /src
RUN go build -o /app /src
FROM gcr.io/distroless/static
COPY --from=build /app /app
CMD ["/app"]
