package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// tunnelSettle is how long a TCP-only probe through a proxy watches the tunnel once the proxy
// has reported it open. A proxy's 2xx is only its word: one that then sends its own page, or
// closes the tunnel at once, has not reached the destination. A destination that speaks first
// (an SSH or SMTP banner) proves itself; one that waits for the client (etcd, a master port)
// leaves the verdict on the proxy's word, and the report says so.
const tunnelSettle = 200 * time.Millisecond

// settleTunnel judges a TCP-only probe's tunnel by what comes through it within the settle
// window, bounded by the attempt's budget.
func settleTunnel(ctx context.Context, conn net.Conn, r *Result) {
	window := tunnelSettle
	if dl, ok := ctx.Deadline(); ok {
		window = min(window, time.Until(dl))
	}
	stop := closeOnDone(ctx, conn)
	defer stop()
	conn.SetReadDeadline(time.Now().Add(max(window, time.Millisecond)))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	first := buf[:n]
	switch {
	case n > 0 && looksLikeProxyPage(first):
		r.State, r.Reason = UnexpectedResponse, "unexpected-response:proxy-page"
		r.Detail = fmt.Sprintf("the proxy %s reported the tunnel open, then sent a page of its own before the destination could speak: %s; not the destination", r.Via, quoteBody(first))
	case n > 0:
		r.State, r.Reason = Open, "open"
		r.Detail = fmt.Sprintf("TCP tunnel through the proxy %s; the destination spoke first: %s", r.Via, quoteBody(first))
	case errors.Is(ctx.Err(), context.Canceled):
		classify(ctx.Err(), PhaseProxy, r.Target).result(r) // the run was interrupted
	case errors.Is(err, os.ErrDeadlineExceeded) || budgetSpent(ctx):
		r.State, r.Reason, r.Proof = Open, "open", ProofProxy
		r.Detail = fmt.Sprintf("the proxy %s reported the tunnel open and kept it open for %s with nothing from beyond: this rests on the proxy's word (a TCP-only check cannot ask the destination to answer)", r.Via, window.Round(time.Millisecond))
	default:
		r.State, r.Reason = ProxyError, "proxy-error:tunnel-closed"
		r.Detail = fmt.Sprintf("the proxy %s reported the tunnel open, then closed it within %s (%s): not the destination; a proxy that answers before it has reached the destination reports its failure so", r.Via, window.Round(time.Millisecond), closedText(err))
	}
}

// looksLikeProxyPage says whether the first bytes through a tunnel are HTTP or HTML: what a
// proxy sends (a block page, an error page), not a TCP service's banner.
func looksLikeProxyPage(b []byte) bool {
	t := bytes.ToLower(bytes.TrimSpace(b))
	if bytes.HasPrefix(t, []byte("http/")) || bytes.HasPrefix(t, []byte("<")) {
		return true
	}
	for _, tag := range []string{"<html", "<!doctype", "<body", "<head"} {
		if bytes.Contains(t, []byte(tag)) {
			return true
		}
	}
	return false
}

func closedText(err error) string {
	if errors.Is(err, io.EOF) {
		return "closed"
	}
	return errnoText(err)
}
