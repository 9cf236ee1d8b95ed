package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRoutedDoesNotAllocate: the one call per stanza is an atomic add.
func TestRoutedDoesNotAllocate(t *testing.T) {
	m := New(map[string]string{"version": "test"})
	if n := testing.AllocsPerRun(1000, m.Routed); n != 0 {
		t.Errorf("Routed allocates %.1f times per call", n)
	}
}

// TestExposition checks names, labels and the bounded mechanism label.
func TestExposition(t *testing.T) {
	m := New(map[string]string{"version": "test"})
	tr := m.Transport("irc")
	tr.Opened("127.0.0.1:6667")
	tr.Login("PLAIN", true)
	tr.Login("X-ANYTHING-A-CLIENT-SAYS", false)
	tr.Handshake("ok")
	tr.Closed("127.0.0.1:6667", "", "authenticated")
	m.Verdict("", "not-exercised")
	m.Register(Expiry(func() map[string]time.Time { return map[string]time.Time{"server": time.Unix(2000000000, 0)} }))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`jabberd_connections_total{dialect="irc",listener="irc:6667",phase="authenticated"} 1`,
		`jabberd_connections_open{listener="irc:6667"} 0`,
		`jabberd_logins_total{mechanism="PLAIN",protocol="irc",result="success"} 1`,
		`jabberd_logins_total{mechanism="other",protocol="irc",result="failure"} 1`,
		`jabberd_tls_handshakes_total{outcome="ok",protocol="irc"} 1`,
		`jabberd_lab_verdicts_total{profile="standard",verdict="not-exercised"} 1`,
		`jabberd_certificate_expiry_timestamp_seconds{certificate="server"} 2e+09`,
		`jabberd_build_info{version="test"} 1`,
		`go_goroutines`, `process_open_fds`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %q in:\n%s", want, body)
		}
	}
}

func BenchmarkRouted(b *testing.B) {
	m := New(nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Routed()
	}
}
