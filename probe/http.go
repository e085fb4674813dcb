package probe

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxResponse bounds what is read of an answer, headers and body: enough for a banner or a
// version document, and memory stays flat against a service that never stops sending.
const maxResponse = 256 << 10

// maxBodyShown is how much of an unexpected body a detail quotes.
const maxBodyShown = 120

// checkHTTP sends one GET on conn and checks the answer against the target's Expect.
func checkHTTP(ctx context.Context, conn net.Conn, r *Result) {
	t := r.Target
	path := t.Path
	if path == "" {
		path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.Name()+path, nil)
	if err != nil {
		r.State, r.Reason, r.Detail = LocalError, "local-error:request", err.Error()
		return
	}
	req.Host = t.Name()
	if t.Port != 80 && t.Port != 443 {
		req.Host = net.JoinHostPort(t.Name(), fmt.Sprint(t.Port))
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "*/*")
	req.Close = true
	if err := req.Write(conn); err != nil {
		classify(withCtx(ctx, err), PhaseHTTP, t).result(r)
		return
	}
	lr := &io.LimitedReader{R: conn, N: maxResponse}
	resp, err := http.ReadResponse(bufio.NewReader(lr), req)
	if err != nil {
		if lr.N <= 0 {
			r.State, r.Reason = UnexpectedResponse, "unexpected-response:oversized"
			r.Detail = fmt.Sprintf("the answer's headers did not end within %d KiB: not the service", maxResponse>>10)
			return
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) && ctx.Err() == nil {
			r.State, r.Reason, r.Detail = UnexpectedResponse, "unexpected-response:empty", "the server closed the connection without an answer"
			return
		}
		classify(withCtx(ctx, err), PhaseHTTP, t).result(r)
		if r.State == LocalError && ctx.Err() == nil {
			r.State, r.Reason, r.Detail = UnexpectedResponse, "unexpected-response:not-http", fmt.Sprintf("the answer is not HTTP: %v", err)
		}
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err == nil, lr.N <= 0:
		// All of it, or as much as we read of any answer: judge that.
	case isTimeout(err) || ctx.Err() != nil:
		classify(withCtx(ctx, err), PhaseHTTP, t).result(r)
		r.Detail = fmt.Sprintf("%s %s came, but the body did not finish within the timeout", resp.Proto, resp.Status)
		return
	default:
		r.State, r.Reason = UnexpectedResponse, "unexpected-response:truncated"
		r.Detail = fmt.Sprintf("%s %s came, but the body broke off: %v", resp.Proto, resp.Status, err)
		return
	}
	judge(resp, body, r)
}

// judge compares an answer with what the service would say.
func judge(resp *http.Response, body []byte, r *Result) {
	e := r.Target.Expect
	want := e.Status
	if len(want) == 0 {
		want = []int{http.StatusOK}
	}
	status := resp.Proto + " " + resp.Status
	bad := func(reason, format string, args ...any) {
		r.State, r.Reason, r.Detail = UnexpectedResponse, reason, fmt.Sprintf(format, args...)
	}
	switch {
	case !slices.Contains(want, resp.StatusCode) && resp.StatusCode/100 == 3:
		bad("unexpected-response:redirect", "%s to %q: a captive portal or a proxy's block page, not the service", status, resp.Header.Get("Location"))
	case !slices.Contains(want, resp.StatusCode):
		bad("unexpected-response:status", "%s where the service answers %s; body: %s", status, statusList(want), quoteBody(body))
	case e.Body != "" && !strings.Contains(string(body), e.Body):
		bad("unexpected-response:body", "%s, but the body is not the service's (it lacks %q): %s", status, e.Body, quoteBody(body))
	case e.JSONArray:
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil || len(list) == 0 {
			bad("unexpected-response:body", "%s, but the body is not a JSON list: %s", status, quoteBody(body))
		} else {
			r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("%s with a JSON list of %d", status, len(list))
		}
	case e.JSONKey != "":
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			bad("unexpected-response:body", "%s, but the body is not JSON: %s", status, quoteBody(body))
		} else if _, ok := doc[e.JSONKey]; !ok {
			bad("unexpected-response:body", "%s, but the JSON has no %q: %s", status, e.JSONKey, quoteBody(body))
		} else {
			r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("%s with %s %v", status, e.JSONKey, doc[e.JSONKey])
		}
	default:
		r.State, r.Reason, r.Detail = Open, "open", status
		if e.Body != "" {
			r.Detail += " with the expected banner"
		}
	}
}

func statusList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " or ")
}

// quoteBody shows the start of a body on one line; reports escape it again for terminals.
func quoteBody(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > maxBodyShown {
		s = s[:maxBodyShown] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return fmt.Sprintf("%q", s)
}

// withCtx joins the context's error to err, so that a read cut short by the budget (the conn
// closed under it) classifies as the timeout it is.
func withCtx(ctx context.Context, err error) error {
	if budgetSpent(ctx) && err != nil {
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("%w (%w)", cause, err)
	}
	return err
}

// budgetSpent reports whether ctx has ended or its deadline has passed. The connection's own
// deadline (set to ctx's) can fire a moment before ctx's timer does, and a read cut short
// then may fail as garbled input (a half status line) rather than as a timeout.
func budgetSpent(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
