// Command build writes fwcheck's container image without Docker: a docker-archive of one
// platform, or an OCI image layout with an index of several:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o fwcheck-linux-amd64 .
//	go run ./internal/image/build -bin fwcheck-linux-amd64 -o fwcheck.tar -tag registry.example.com/fwcheck:v1
//	docker load < fwcheck.tar    # or podman load, or crane push fwcheck.tar REF
//
//	go run ./internal/image/build -bin amd64=fwcheck-linux-amd64 -bin arm64=fwcheck-linux-arm64 -oci fwcheck-oci
//	skopeo copy --all oci:fwcheck-oci docker://registry.example.com/fwcheck:v1
//
// The revision label and the image's dates come from the binary's own build information (the
// commit and its time), or SOURCE_DATE_EPOCH, so that two builds of one commit are one image.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fwcheck/fwcheck/internal/image"
)

func main() {
	bins := map[string]string{}
	flag.Func("bin", "the static linux fwcheck binary, or ARCH=BINARY (repeatable, with -oci)", func(s string) error {
		arch, path, ok := strings.Cut(s, "=")
		if !ok {
			arch, path = "", s
		}
		bins[arch] = path
		return nil
	})
	out := flag.String("o", "", "the docker-archive to write (one binary)")
	oci := flag.String("oci", "", "the OCI image layout directory to write (an index of every -bin)")
	tag := flag.String("tag", "fwcheck:dev", "the image reference to tag the docker-archive with")
	arch := flag.String("arch", "amd64", "the architecture of a -bin given without ARCH=")
	version := flag.String("version", "dev", "the version label")
	revision := flag.String("revision", "", "the VCS revision label (default: the binary's own commit)")
	flag.Parse()
	if err := build(bins, *out, *oci, *tag, *arch, *version, *revision); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func build(bins map[string]string, out, oci, tag, defaultArch, version, revision string) error {
	if len(bins) == 0 || out == "" && oci == "" || out != "" && len(bins) != 1 {
		return fmt.Errorf("give -bin and -o FILE (one platform), or -bin ARCH=FILE... and -oci DIR")
	}
	if a, ok := bins[""]; ok {
		delete(bins, "")
		bins[defaultArch] = a
	}
	images := map[string]v1.Image{}
	for arch, bin := range bins {
		rev, created := image.Stamp(bin)
		if revision != "" {
			rev = revision
		}
		if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
			secs, err := strconv.ParseInt(epoch, 10, 64)
			if err != nil {
				return fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
			}
			created = time.Unix(secs, 0)
		}
		if created.IsZero() {
			created = time.Now() // a binary built outside a repository: the build's own time
		}
		img, err := image.Build(image.Spec{Binary: bin, Arch: arch, Version: version, Revision: rev, Created: created.UTC()})
		if err != nil {
			return fmt.Errorf("%s: %v", bin, err)
		}
		images[arch] = img
	}
	if oci != "" {
		if err := image.WriteIndex(oci, images); err != nil {
			return err
		}
		fmt.Println("wrote", oci, "an OCI image layout for", len(images), "platforms")
	}
	if out != "" {
		for _, img := range images {
			if err := image.WriteTarball(out, tag, img); err != nil {
				return err
			}
		}
		fmt.Println("wrote", out, "tagged", tag)
	}
	return nil
}
