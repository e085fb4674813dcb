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
