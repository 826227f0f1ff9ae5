FROM golang:1.23 AS build
    COPY --from=build /out /app
