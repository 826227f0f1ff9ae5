# A full golang image pinned by digest only: the digest fixes the image, no tag is suggested.
FROM golang@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /usr/local/bin/app ./cmd/app
USER 65532
CMD ["app"]
