package probe_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
)

// TestAnswersThatOnlyLookRight: an answer passes only when it is the service's own, with the
// expectations the embedded catalogs set: the page's whole ships drawing, not a run of tildes a
// block page can carry; a gitVersion that is a Kubernetes version, not any value; a list of
// zone objects, not any non-empty list.
func TestAnswersThatOnlyLookRight(t *testing.T) {
	cat, err := endpoints.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	banner := probe.Expect{Status: []int{200}, Body: cat.API.Expect}
	version := probe.Expect{Status: []int{200}, JSONKey: "gitVersion", JSONValue: endpoints.KubeVersion}
	zones := probe.Expect{Status: []int{200}, JSONArray: true, JSONArrayKey: "id"}
	cases := []struct {
		name   string
		expect probe.Expect
		body   string
		state  probe.State
	}{
		{"the page's drawing", banner, testnet.Ships, probe.Open},
		{"the drawing indented otherwise", banner, "<pre>\n" + dedent(testnet.Ships) + "</pre>\n", probe.Open},
		{"a block page with a run of tildes", banner, "<html>Blocked ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~</html>", probe.UnexpectedResponse},
		{"half the drawing", banner, "                                  )___(\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n", probe.UnexpectedResponse},
		{"a version", version, `{"major":"1","minor":"7+","gitVersion":"v1.7.4-2+eb9172c211dc41"}`, probe.Open},
		{"an IKS version", version, `{"gitVersion":"v1.30.2+IKS"}`, probe.Open},
		{"gitVersion empty", version, `{"gitVersion":""}`, probe.UnexpectedResponse},
		{"gitVersion a number", version, `{"gitVersion":7}`, probe.UnexpectedResponse},
		{"gitVersion null", version, `{"gitVersion":null}`, probe.UnexpectedResponse},
		{"gitVersion a block page's words", version, `{"gitVersion":"blocked by policy"}`, probe.UnexpectedResponse},
		{"not an object", version, `["gitVersion"]`, probe.UnexpectedResponse},
		{"zone objects", zones, `[{"id":"dal10","metro":"dallas"},{"id":"fra02"}]`, probe.Open},
		{"a list of numbers", zones, `[1,2,3]`, probe.UnexpectedResponse},
		{"a list of empty objects", zones, `[{}]`, probe.UnexpectedResponse},
		{"an empty id", zones, `[{"id":"dal10"},{"id":" "}]`, probe.UnexpectedResponse},
		{"an empty list", zones, `[]`, probe.UnexpectedResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, port, roots := testServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tc.body) })
			r := one(t, probe.Config{Timeout: 2 * time.Second, Roots: roots},
				probe.Target{Host: "example.com", Addr: loopback, Port: port, Check: probe.CheckHTTPS, Path: "/", Expect: tc.expect})
			checkResult(t, r, tc.state, "", "")
		})
	}
}

// dedent strips each line's leading spaces.
func dedent(s string) string {
	out := ""
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '\n' {
			line := s[start:i]
			for len(line) > 0 && line[0] == ' ' {
				line = line[1:]
			}
			out += line
			if i < len(s) {
				out += "\n"
			}
			start = i + 1
		}
	}
	return out
}

// TestEndlessHeaders: an answer whose headers never end is not the service, and not a server
// that "closed without an answer".
func TestEndlessHeaders(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, endlessHeaders)
	r := one(t, probe.Config{Timeout: 2 * time.Second}, probe.Target{Host: "127.0.0.1", Port: port(ln), Check: probe.CheckHTTP})
	checkResult(t, r, probe.UnexpectedResponse, "unexpected-response:oversized", "did not end")
}
