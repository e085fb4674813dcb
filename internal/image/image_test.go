package image

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImage builds the static binary and the image, reads the docker-archive back, checks its
// config (entrypoint, user, platform, labels), takes /fwcheck out of the layer and runs it.
func TestImage(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds a linux binary and runs it")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fwcheck")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	img, err := Build(Spec{Binary: bin, Arch: runtime.GOARCH, Version: "v0.0.0-test", Revision: "abc", Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "fwcheck.tar")
	if err := WriteTarball(archive, "registry.example.com/fwcheck:test", img); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("registry.example.com/fwcheck:test")
	back, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || cf.Config.User != User || len(cf.Config.Entrypoint) != 1 ||
		cf.Config.Entrypoint[0] != "/fwcheck" || cf.Config.Labels["org.opencontainers.image.revision"] != "abc" {
		t.Errorf("config: %+v", cf.Config)
	}
	layers, _ := back.Layers()
	if len(layers) != 1 {
		t.Fatalf("%d layers", len(layers))
	}
	rc, _ := layers[0].Uncompressed()
	defer rc.Close()
	tr := tar.NewReader(rc)
	inside := filepath.Join(dir, "from-image")
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "fwcheck" {
			f, _ := os.OpenFile(inside, os.O_CREATE|os.O_WRONLY, 0o755)
			io.Copy(f, tr)
			f.Close()
		}
	}
	if strings.Join(names, ",") != "etc/passwd,etc/group,fwcheck" {
		t.Errorf("layer holds %v", names)
	}
	out, err := exec.Command(inside, "version").Output()
	if err != nil || !strings.Contains(string(out), "catalog edition") {
		t.Errorf("the binary in the image: %v %q", err, out)
	}
}

// TestStampAndIndex: the image's revision and dates come from the binary's own build
// information, the history entry carries the date (it was year 1), and -oci writes an index of
// one image a platform, each with its platform.
func TestStampAndIndex(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds a linux binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fwcheck")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("no VCS stamp here: %v\n%s", err, out)
	}
	rev, when := Stamp(bin)
	if len(strings.TrimSuffix(rev, "-dirty")) != 40 || when.Year() < 2020 {
		t.Errorf("Stamp = %q, %v; want the commit and its time", rev, when)
	}
	img, err := Build(Spec{Binary: bin, Arch: "amd64", Version: "v0", Revision: rev, Created: when})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if len(cf.History) != 1 || !cf.History[0].Created.Time.Equal(when) || !cf.Created.Time.Equal(when) ||
		cf.Config.Labels["org.opencontainers.image.revision"] != rev {
		t.Errorf("config: created %v, history %+v, labels %v", cf.Created, cf.History, cf.Config.Labels)
	}
	arm, _ := Build(Spec{Binary: bin, Arch: "arm64", Version: "v0", Revision: rev, Created: when})
	oci := filepath.Join(dir, "oci")
	if err := WriteIndex(oci, map[string]v1.Image{"amd64": img, "arm64": arm}); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(oci)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := idx.IndexManifest()
	var platforms []string
	for _, d := range m.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	if strings.Join(platforms, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("the index holds %v", platforms)
	}
}
