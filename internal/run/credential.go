package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/internal/quote"
)

// maxCredentialBytes bounds what a credential plugin may print.
const maxCredentialBytes = 1 << 20

// RunCredentialPlugin runs the kubeconfig's exec credential plugin itself, bounded by ctx
// (the run's timeout and its signals), and puts the credential it prints into cfg. client-go
// starts plugins without a context, so one that hangs would hold fwcheck forever and outlive
// it: here it runs in a process group of its own, killed whole when ctx ends.
func RunCredentialPlugin(ctx context.Context, cfg *rest.Config) error {
	ep := cfg.ExecProvider
	if ep == nil {
		return nil
	}
	name := ep.Command
	cmd := exec.CommandContext(ctx, ep.Command, ep.Args...)
	cmd.Env = os.Environ()
	for _, e := range ep.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	info, _ := json.Marshal(map[string]any{
		"apiVersion": ep.APIVersion, "kind": "ExecCredential", "spec": map[string]any{"interactive": false},
	})
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var out cappedBuffer
	out.limit = maxCredentialBytes
	cmd.Stdout, cmd.Stderr = &out, io.Discard
	inOwnProcessGroup(cmd)
	cmd.WaitDelay = time.Second // a grandchild holding the pipe must not hold us
	err := cmd.Run()
	switch {
	case out.over:
		// Before the timeout: a plugin that floods is killed by the closed pipe, or at the deadline.
		return fmt.Errorf("the kubeconfig's credential plugin %s printed more than %s, the most fwcheck reads of an ExecCredential: run it by hand to see what it prints", quote.Value(name), boundedfile.SizeText(maxCredentialBytes))
	case ctx.Err() != nil:
		return fmt.Errorf("the kubeconfig's credential plugin %s did not finish within the timeout (it was stopped): run it by hand to see what it waits for (a login prompt?)", quote.Value(name))
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the kubeconfig's credential plugin %s is not installed (not found on PATH)", quote.Value(name))
	case err != nil:
		return fmt.Errorf("the kubeconfig's credential plugin %s failed (%v): run it by hand to see why", quote.Value(name), err)
	}
	var cred struct {
		Kind   string `json:"kind"`
		Status *struct {
			Token                 string `json:"token"`
			ClientCertificateData string `json:"clientCertificateData"`
			ClientKeyData         string `json:"clientKeyData"`
		} `json:"status"`
	}
	if err := json.Unmarshal(out.Bytes(), &cred); err != nil || cred.Kind != "ExecCredential" || cred.Status == nil {
		return fmt.Errorf("the kubeconfig's credential plugin %s printed something that is not an ExecCredential (JSON with kind ExecCredential and a status)", quote.Value(name))
	}
	st := cred.Status
	if st.Token == "" && (st.ClientCertificateData == "" || st.ClientKeyData == "") {
		return fmt.Errorf("the kubeconfig's credential plugin %s gave neither a token nor a client certificate and key", quote.Value(name))
	}
	c := *cfg
	c.ExecProvider = nil
	if st.Token != "" {
		c.BearerToken, c.BearerTokenFile = st.Token, ""
	} else {
		c.CertData, c.KeyData, c.CertFile, c.KeyFile = []byte(st.ClientCertificateData), []byte(st.ClientKeyData), "", ""
	}
	*cfg = c
	return nil
}

// cappedBuffer keeps the first limit bytes written; past them it notes that more came and
// fails the write, so that the pipe closes and the plugin stops (it does not embed
// bytes.Buffer: io.Copy would take its ReadFrom and never call this Write).
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

var errOverCap = errors.New("output over its cap")

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); len(p) > room {
		b.over = true
		b.buf.Write(p[:max(room, 0)])
		return max(room, 0), errOverCap
	}
	return b.buf.Write(p)
}

func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }
