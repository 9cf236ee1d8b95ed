package lab_test

// The status page over a real loopback socket (httptest.NewServer) with a
// real Recorder fed the way a connection feeds it.
//
// This file holds the fixture and the HTTP helpers. The tests are in
// status_api_test.go (the JSON API), status_page_test.go (the HTML pages)
// and status_http_test.go (status codes, methods, headers, transcripts
// off, concurrency).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/lab"
)

const (
	hostileData = "<message><body><script>alert(1)</script></body></message>"
	hostileSNI  = `"><script>alert(2)</script>.localhost`
	tls13       = "TLS 1.3 TLS_AES_128_GCM_SHA256"
)

// fixture is a book with three connections:
//
//	c1 ended: rfc6120 stream under sasl-before-tls (chosen by a username
//	   tag), PLAIN credentials in plaintext, then STARTTLS, TLS 1.3,
//	   SCRAM login, a stanza with a script in it, closed;
//	c2 live: IRC, plaintext only;
//	c3 live: legacy stream whose client sent a hostile SNI.
type fixture struct {
	book *lab.Recorder
	srv  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	book, err := lab.NewRecorder(lab.Options{Keep: 10}, zerolog.Nop())
	if err != nil || book == nil {
		t.Fatalf("NewRecorder: %v, %v", book, err)
	}

	c1 := book.Start("c1", "xmpp", "127.0.0.1:40001", "127.0.0.1")
	c1.SetDialect("rfc6120")
	p, _ := lab.Lookup("sasl-before-tls")
	c1.Choose(p, lab.ByUsername)
	c1.In("<stream:stream to='localhost' version='1.0'>", 120, false, lab.Input{Kind: "header"})
	c1.Out([]byte("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>"), false)
	c1.In("<auth mechanism='PLAIN'>[redacted]</auth>", 80, true, lab.Input{Kind: "element", Credentials: true, Mechanism: "PLAIN"})
	c1.Out([]byte("<failure><encryption-required/></failure>"), false)
	c1.In("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 51, false, lab.Input{Kind: "element", StartTLS: true})
	c1.Out([]byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), false)
	c1.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "localhost", "none")
	c1.Event("stream restarted")
	c1.Auth("SCRAM-SHA-256", "alice@localhost", true, "")
	c1.In(hostileData, len(hostileData), false, lab.Input{Kind: "element"})
	c1.End("client closed the stream")

	c2 := book.Start("c2", "irc", "127.0.0.1:40002", "127.0.0.1")
	c2.SetDialect("irc")
	c2.In("NICK bob", 10, false, lab.Input{Kind: "line"})

	c3 := book.Start("c3", "xmpp-direct", "127.0.0.1:40003", "127.0.0.1")
	c3.SetDialect("legacy")
	c3.TLSEstablished("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", hostileSNI, "CN=mallory (not verified)")

	srv := httptest.NewServer(lab.StatusHandler(book, lab.StatusOptions{}))
	t.Cleanup(srv.Close)
	return &fixture{book: book, srv: srv}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{code: res.StatusCode, header: res.Header, body: string(b)}
}

// getOK fetches path and checks the status and the content type.
func getOK(t *testing.T, srv *httptest.Server, path, contentType string) response {
	t.Helper()
	r := do(t, srv, http.MethodGet, path)
	if r.code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200:\n%s", path, r.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, contentType)
	}
	return r
}

func decode[T any](t *testing.T, r response, what string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: decoding %q: %v", what, r.body, err)
	}
	return v
}

const (
	htmlType = "text/html; charset=utf-8"
	jsonType = "application/json"
)
