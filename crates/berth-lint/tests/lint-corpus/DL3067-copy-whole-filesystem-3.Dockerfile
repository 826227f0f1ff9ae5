FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static
COPY --from=build / /
