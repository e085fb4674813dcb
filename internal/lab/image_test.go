//go:build linux

package lab

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
)

// TestImageServesFromItsRoot: the image fwcheck builds, copied by skopeo and unpacked by umoci,
// runs `serve` from its own root filesystem as the DaemonSet runs it: the container's args from
// `serve --manifest`, user 65532, a read-only root with no /tmp but the manifest's emptyDir.
// It serves a fresh report (it once exited 2: "/tmp: no such file or directory").
func TestImageServesFromItsRoot(t *testing.T) {
	root := unpackedImage(t)
	if _, err := os.Stat(filepath.Join(root, "tmp")); err == nil {
		t.Fatal("the image has a /tmp: the test would not show that serve needs none")
	}

	// The DaemonSet's container, as serve --manifest prints it.
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	addr := testnet.Closed(t, "127.0.0.1")
	_, manifest, _ := fwcheck(t, nil, "serve", "--manifest", "--image", "fwcheck:test", "--listen", addr, "--interval", "1s", "probe", open.Addr().String())
	docs := strings.Split(manifest, "\n---\n")
	var ds appsv1.DaemonSet
	if err := yaml.Unmarshal([]byte(docs[len(docs)-1]), &ds); err != nil {
		t.Fatal(err)
	}
	c := ds.Spec.Template.Spec.Containers[0]
	if c.SecurityContext == nil || !*c.SecurityContext.ReadOnlyRootFilesystem || *ds.Spec.Template.Spec.SecurityContext.RunAsUser != 65532 ||
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/tmp" {
		t.Fatalf("the manifest's container: %+v", c)
	}
	// The runtime's part: the root read-only, the user 65532, and the emptyDir's mount point.
	// First with no /tmp at all (serve keeps its reports in memory), then as the manifest says.
	for _, emptyDir := range []bool{false, true} {
		t.Run(fmt.Sprintf("emptyDir=%t", emptyDir), func(t *testing.T) { serveFromRoot(t, root, addr, c.Args, emptyDir) })
	}
}

// unpackedImage builds fwcheck's image as the README says (no Docker), copies it with skopeo
// and unpacks it with umoci, as a container runtime would; it returns the root filesystem.
// It skips unless the test runs as root (to mount the root read-only and drop to the image's
// user) with skopeo and umoci installed.
func unpackedImage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and unpacks the image (-short)")
	}
	testtier.Need(t, "image", testtier.NotRoot("the image's root is mounted read-only and run as user 65532"),
		testtier.MissingTool("skopeo umoci", "skopeo", "umoci", "unshare", "chroot"))
	dir := t.TempDir()
	bin := filepath.Join(dir, "fwcheck")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	run("go", "run", "./internal/image/build", "-bin", bin, "-o", filepath.Join(dir, "image.tar"), "-tag", "fwcheck:test")
	run("skopeo", "copy", "docker-archive:"+filepath.Join(dir, "image.tar"), "oci:"+filepath.Join(dir, "oci")+":test")
	bundle := filepath.Join(dir, "bundle")
	run("umoci", "unpack", "--image", filepath.Join(dir, "oci")+":test", bundle)
	return filepath.Join(bundle, "rootfs")
}

func serveFromRoot(t *testing.T, root, addr string, args []string, emptyDir bool) {
	script := `set -e
if [ -n "$EMPTYDIR" ]; then mkdir -p "$ROOT/tmp"; fi
mount --bind "$ROOT" "$ROOT"
mount -o remount,bind,ro "$ROOT"
if [ -n "$EMPTYDIR" ]; then mount -t tmpfs -o size=64m tmpfs "$ROOT/tmp"; fi
exec chroot --userspec=65532:65532 "$ROOT" /fwcheck "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--fork", "--kill-child", "sh", "-c", script, "sh"}, args...)...)
	// A group of its own, killed whole at the end: --kill-child's death signal does not survive
	// chroot --userspec's change of user, so serve would outlive unshare.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second // the pipe must not hold the test if a child outlives unshare
	cmd.Env = []string{"ROOT=" + root, "TMPDIR=/tmp", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if emptyDir {
		cmd.Env = append(cmd.Env, "EMPTYDIR=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/report.json")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"status": "verified"`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve from the image's root served no report: %s", stderr.String())
		}
	}
	for _, path := range []string{"/healthz", "/livez", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v %v", path, err, resp)
		} else {
			resp.Body.Close()
		}
	}
}
