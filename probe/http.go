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
	case e.Body != "" && !containsLines(string(body), e.Body):
		bad("unexpected-response:body", "%s, but the body is not the service's (it lacks %s): %s", status, bodyWant(e.Body), quoteBody(body))
	case e.JSONArray:
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil || len(list) == 0 {
			bad("unexpected-response:body", "%s, but the body is not a non-empty JSON list: %s", status, quoteBody(body))
		} else if i := badElement(list, e.JSONArrayKey); i >= 0 {
			bad("unexpected-response:body", "%s, but item %d of the JSON list is not an object with a string %q: %s", status, i+1, e.JSONArrayKey, quoteBody(list[i]))
		} else {
			r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("%s with a JSON list of %d", status, len(list))
		}
	case e.JSONKey != "":
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			bad("unexpected-response:body", "%s, but the body is not a JSON object: %s", status, quoteBody(body))
		} else if v, ok := doc[e.JSONKey]; !ok {
			bad("unexpected-response:body", "%s, but the JSON has no %q: %s", status, e.JSONKey, quoteBody(body))
		} else if s, isString := v.(string); e.JSONValue != nil && (!isString || !e.JSONValue.MatchString(s)) {
			bad("unexpected-response:body", "%s, but its %q is not what the service answers (%s): %s", status, e.JSONKey, e.JSONValue, quoteBody(body))
		} else {
			r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("%s with %s %s", status, e.JSONKey, cut(fmt.Sprint(v)))
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

// containsLines reports whether body holds want: as a substring when want is one line, else
// each non-blank line of want (trimmed) within a line of body, in order.
func containsLines(body, want string) bool {
	if !strings.Contains(want, "\n") {
		return strings.Contains(body, want)
	}
	lines := strings.Split(body, "\n")
	for _, w := range strings.Split(want, "\n") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		for len(lines) > 0 && !strings.Contains(lines[0], w) {
			lines = lines[1:]
		}
		if len(lines) == 0 {
			return false
		}
		lines = lines[1:]
	}
	return true
}

// bodyWant names what a body must hold, for a detail: a banner by its size, a string quoted.
func bodyWant(want string) string {
	if n := strings.Count(want, "\n"); n > 0 {
		return fmt.Sprintf("the %d lines of the banner the page shows", n+1)
	}
	return fmt.Sprintf("%q", want)
}

// badElement is the index of the first element that is not an object with key as a non-empty
// string, or -1 (always -1 when key is empty).
func badElement(list []json.RawMessage, key string) int {
	if key == "" {
		return -1
	}
	for i, raw := range list {
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			return i
		}
		if s, ok := obj[key].(string); !ok || strings.TrimSpace(s) == "" {
			return i
		}
	}
	return -1
}

// cut shortens a value from a server to what a detail shows.
func cut(s string) string {
	if len(s) > maxBodyShown {
		return s[:maxBodyShown] + "…"
	}
	return s
}
