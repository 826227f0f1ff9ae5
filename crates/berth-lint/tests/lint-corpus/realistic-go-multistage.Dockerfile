FROM --platform=$BUILDPLATFORM golang:1.23 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN cd cmd/server && go build -o /out/server .
RUN go install golang.org/x/tools/cmd/stringer@latest
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/server /server
USER 65532:65532
ENTRYPOINT ["/server"]
