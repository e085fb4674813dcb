# fwcheck's image for people who build with Docker; without Docker:
#   go run ./internal/image/build -bin fwcheck-linux-amd64 -o fwcheck.tar -tag REGISTRY/fwcheck:TAG
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /fwcheck .

# No base: the binary carries its CA roots; a non-root user.
FROM scratch
COPY --from=build /fwcheck /fwcheck
USER 65532:65532
ENTRYPOINT ["/fwcheck"]
CMD ["--help"]
