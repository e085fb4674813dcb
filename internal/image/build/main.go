// Command build writes fwcheck's container image as a docker-archive, without Docker:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o fwcheck-linux-amd64 .
//	go run ./internal/image/build -bin fwcheck-linux-amd64 -o fwcheck.tar -tag registry.example.com/fwcheck:v1
//	docker load < fwcheck.tar    # or podman load, or crane push fwcheck.tar REF
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fwcheck/fwcheck/internal/image"
)

func main() {
	bin := flag.String("bin", "", "the static linux fwcheck binary")
	out := flag.String("o", "fwcheck.tar", "the docker-archive to write")
	tag := flag.String("tag", "fwcheck:dev", "the image reference to tag it with")
	arch := flag.String("arch", "amd64", "the binary's architecture")
	version := flag.String("version", "dev", "the version label")
	revision := flag.String("revision", "", "the VCS revision label")
	flag.Parse()
	img, err := image.Build(image.Spec{Binary: *bin, Arch: *arch, Version: *version, Revision: *revision, Created: time.Now()})
	if err == nil {
		err = image.WriteTarball(*out, *tag, img)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out, "tagged", *tag)
}
