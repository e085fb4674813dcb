// Package image builds fwcheck's container image without Docker: the static binary in an
// image with no base (its CA roots are compiled in), a non-root user, the entrypoint set and
// the OCI labels, written as a docker-archive tarball that `docker load` and `podman load`
// take, with go-containerregistry.
package image

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// User is the image's non-root user (the distroless "nonroot" numbers).
const User = "65532:65532"

// Spec says what goes in the image.
type Spec struct {
	Binary   string // the static fwcheck binary for the image's platform
	Arch     string // amd64, arm64
	Version  string
	Revision string
	Created  time.Time
}

// Build makes the image: one layer with /fwcheck and an /etc/passwd naming the user.
func Build(s Spec) (v1.Image, error) {
	bin, err := os.ReadFile(s.Binary)
	if err != nil {
		return nil, err
	}
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")},
		{"fwcheck", 0o755, bin},
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: s.Created, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := layerTar.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	// The history entry carries the build's time too (mutate.AppendLayers leaves it at year 1).
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: s.Created}, CreatedBy: "fwcheck: go run ./internal/image/build", Comment: "the static fwcheck binary, /etc/passwd and /etc/group"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", s.Arch, v1.Time{Time: s.Created}
	cf.Config.Entrypoint = []string{"/fwcheck"}
	cf.Config.Cmd = []string{"--help"}
	cf.Config.User = User
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "fwcheck",
		"org.opencontainers.image.description": "proves which firewall openings an IBM Cloud Kubernetes Service cluster needs are open",
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.revision":    s.Revision,
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.source":      "https://github.com/fwcheck/fwcheck",
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
	return mutate.ConfigFile(img, cf)
}

// WriteTarball writes img as a docker-archive tagged ref.
func WriteTarball(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("%q is not an image reference: %v", ref, err)
	}
	return tarball.WriteToFile(path, tag, img)
}

// Stamp reads, from a Go binary's build information, the commit it was built from and that
// commit's time ("" and the zero time when it was built outside a repository, or with
// -buildvcs=false), for the image's revision label and dates.
func Stamp(binary string) (revision string, committed time.Time) {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return "", time.Time{}
	}
	dirty := false
	for _, kv := range info.Settings {
		switch kv.Key {
		case "vcs.revision":
			revision = kv.Value
		case "vcs.time":
			committed, _ = time.Parse(time.RFC3339, kv.Value)
		case "vcs.modified":
			dirty = kv.Value == "true"
		}
	}
	if dirty && revision != "" {
		revision += "-dirty"
	}
	return revision, committed
}

// WriteIndex writes images, one a platform, as an OCI image layout in dir: an image index that
// `skopeo copy oci:DIR docker://REF` (or `crane push DIR REF`) pushes as one multi-platform
// image, which each machine pulls its own platform of.
func WriteIndex(dir string, images map[string]v1.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	for _, arch := range slices.Sorted(maps.Keys(images)) {
		if err := p.AppendImage(images[arch], layout.WithPlatform(v1.Platform{OS: "linux", Architecture: arch})); err != nil {
			return err
		}
	}
	return nil
}
