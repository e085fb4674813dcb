package pac

import (
	"context"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
)

// TestHostileScripts: every PAC call, the conversion of its answer and its regular expressions
// included, is bounded in time and memory, stopped by its context, and says nothing secret.
func TestHostileScripts(t *testing.T) {
	const secret = "PW-SECRET-pac"
	cases := []struct {
		name, src string
		want      string // in the error
	}{
		{"an answer whose toString loops", `function FindProxyForURL(u, h) { return {toString: function() { for (;;) {} }}; }`, "not a string"},
		// A lookahead and a backreference: goja runs it on regexp2, which backtracks.
		{"a backtracking regular expression", `function FindProxyForURL(u, h) {
			/^(a+)+(?=b)\1$/.test("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"); return "DIRECT"; }`, "time allowed"},
		{"a string that doubles until memory runs out", `function FindProxyForURL(u, h) { var s = "xxxxxxxx"; for (;;) { s = s + s; s.charAt(s.length - 1); } }`, ""},
		{"an array that grows until memory runs out", `function FindProxyForURL(u, h) { var a = []; for (var i = 0; ; i++) { a.push("x" + i); } }`, ""},
		{"a thrown object whose toString loops", `function FindProxyForURL(u, h) { throw {toString: function() { for (;;) {} }}; }`, "an exception"},
		{"a thrown Error whose message is a looping getter", `function FindProxyForURL(u, h) { var e = new Error("x"); Object.defineProperty(e, "message", {get: function() { for (;;) {} }}); throw e; }`, "threw"},
		{"a thrown URL with credentials", `function FindProxyForURL(u, h) { throw "http://alice:` + secret + `@proxy.example/"; }`, "***@proxy.example"},
		{"an answer with credentials that does not parse", `function FindProxyForURL(u, h) { return "PROXY alice:` + secret + `@proxy.example:3128 extra"; }`, "***@proxy.example:3128"},
		{"a huge answer", `function FindProxyForURL(u, h) { var s = "PROXY p:1;"; while (s.length < 100000) s += s; return s; }`, "bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("http://user:"+secret+"@pac.example/proxy.pac", []byte(tc.src), Env{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = s.Find(context.Background(), "https://a.example/", "a.example")
			// Bounded, not forever: the bound is maxEval, the slack is for -race and a loaded machine.
			if el := time.Since(start); el > 10*maxEval {
				t.Errorf("took %s: the call is bounded by %s", el, maxEval)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), secret) {
				t.Errorf("error %q; want %q, and no credential", err, tc.want)
			}
			goruntime.GC()
			var m goruntime.MemStats
			goruntime.ReadMemStats(&m)
			if m.HeapAlloc > 512<<20 {
				t.Errorf("the heap holds %d MiB after the call", m.HeapAlloc>>20)
			}
		})
	}

	t.Run("state that grows across calls", func(t *testing.T) {
		// Each call gets a runtime of its own: a global that doubles per call stays small.
		s, _ := Parse("grow.pac", []byte(`var s = "x"; function FindProxyForURL(u, h) { s = s + s; return s.length > 2 ? "PROXY p:1" : "DIRECT"; }`), Env{})
		for range 200 {
			got, err := s.Find(context.Background(), "https://a.example/", "a.example")
			if err != nil || len(got) != 1 || !got[0].Direct {
				t.Fatalf("%v %v: a call saw another call's state", got, err)
			}
		}
	})
	t.Run("an interrupt stops a looping call", func(t *testing.T) {
		s, _ := Parse("loop.pac", []byte(`function FindProxyForURL(u, h) { for (;;) {} }`), Env{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		if _, err := s.Find(ctx, "https://a.example/", "a.example"); err == nil || time.Since(start) > time.Second {
			t.Errorf("%v after %s; want an error at the interrupt", err, time.Since(start))
		}
	})
}
