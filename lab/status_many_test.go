package lab_test

// A recorder with many connections, of every verdict, on several listener
// addresses (the main listener and per-profile ports), for the filters,
// the pages of the list, the scorecard, the downloads and the layout.

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/lab"
)

// outcome is one kind of connection of the many-fixture.
type outcome struct {
	name     string
	listener string
	local    string
	profile  string // "" for standard
	verdict  string
	live     bool
}

// The listener addresses of the many-fixture.
const (
	mainXMPP  = "127.0.0.1:5222"
	mainIRC   = "127.0.0.1:6667"
	stripPort = "127.0.0.1:5300" // strip-starttls's per-profile port
	certPort  = "127.0.0.1:5304" // cert-expired's
)

var outcomes = []outcome{
	{name: "strip-fail", listener: "xmpp", local: stripPort, profile: "strip-starttls", verdict: lab.Fail},
	{name: "strip-pass", listener: "xmpp", local: stripPort, profile: "strip-starttls", verdict: lab.Pass},
	{name: "strip-timeout", listener: "xmpp", local: stripPort, profile: "strip-starttls", verdict: lab.Inconclusive},
	{name: "cert-pass", listener: "xmpp", local: certPort, profile: "cert-expired", verdict: lab.Pass},
	{name: "cert-fail", listener: "xmpp", local: certPort, profile: "cert-expired", verdict: lab.Fail},
	{name: "cert-unasked", listener: "xmpp", local: certPort, profile: "cert-expired", verdict: lab.NotExercised},
	{name: "standard", listener: "xmpp", local: mainXMPP, verdict: lab.NotExercised},
	{name: "irc-plain", listener: "irc", local: mainIRC, verdict: lab.Fail},
	{name: "live", listener: "xmpp", local: mainXMPP, verdict: lab.NotExercised, live: true},
	{name: "live-strip", listener: "xmpp", local: stripPort, profile: "strip-starttls", verdict: lab.Fail, live: true},
}

// manyFixture is a recorder labelled "run-1" holding n connections, the
// outcomes in turn (connection i has outcomes[i%len(outcomes)]), and its
// status page.
type manyFixture struct {
	rec  *lab.Recorder
	srv  *httptest.Server
	ids  []string  // in the order they were opened (oldest first)
	kind []outcome // kind[i] is connection ids[i]'s
}

const manyLabel = "run-1"

func newManyFixture(t *testing.T, n int, opt lab.StatusOptions) *manyFixture {
	t.Helper()
	rec, err := lab.NewRecorder(lab.Options{Keep: n + 10, Label: manyLabel}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	f := &manyFixture{rec: rec}
	for i := range n {
		o := outcomes[i%len(outcomes)]
		id := fmt.Sprintf("c1mxk9q2-%d", i+1)
		feedOutcome(t, rec, id, o, i)
		f.ids = append(f.ids, id)
		f.kind = append(f.kind, o)
	}
	f.srv = httptest.NewServer(lab.StatusHandler(rec, opt))
	t.Cleanup(f.srv.Close)
	return f
}

// feedOutcome records one connection the way the drivers would, ending
// with verdict o.verdict.
func feedOutcome(t *testing.T, rec *lab.Recorder, id string, o outcome, i int) {
	t.Helper()
	remote := fmt.Sprintf("127.0.0.1:%d", 40000+i)
	if i%3 == 0 {
		remote = fmt.Sprintf("[2001:db8:1234:5678:9abc:def0:1234:%x]:%d", i, 50000+i)
	}
	tr := rec.Open(lab.Origin{ID: id, Listener: o.listener, Local: o.local, Remote: remote, IP: "127.0.0.1", Dedicated: o.profile != ""})
	if o.profile != "" {
		p, ok := lab.Lookup(o.profile)
		if !ok {
			t.Fatalf("no profile %s", o.profile)
		}
		tr.Choose(p, lab.ByListener)
	}
	header := lab.Input{Kind: "header"}
	switch o.name {
	case "strip-fail", "live-strip":
		tr.SetDialect("rfc6120")
		tr.In("<stream:stream to='localhost' version='1.0'>", 60, false, header)
		tr.Out([]byte("<stream:features><mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>"), false)
		tr.In("<auth mechanism='PLAIN'>[redacted]</auth>", 40, true, lab.Input{Kind: "element", Name: "auth", Credentials: true, Mechanism: "PLAIN"})
		if o.live {
			return
		}
		tr.End("client closed the stream")
	case "strip-pass":
		tr.SetDialect("rfc6120")
		tr.In("<stream:stream to='localhost' version='1.0'>", 60, false, header)
		tr.Out([]byte("<stream:features/>"), false)
		tr.End("client closed the stream")
	case "strip-timeout":
		tr.SetDialect("legacy")
		tr.In("<stream:stream to='localhost'>", 40, false, header)
		tr.End("connection-timeout: no stanza within 30s of negotiation")
	case "cert-pass":
		tr.SetDialect("rfc6120")
		tr.In("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 51, false, lab.Input{Kind: "element", Name: "starttls", StartTLS: true})
		tr.TLSFailed("remote error: tls: bad certificate", "certificate_expired", "cert-expired.localhost", false)
		tr.End("TLS handshake failed: remote error: tls: bad certificate (a very long error that a client library wrote to explain itself)")
	case "cert-fail":
		tr.SetDialect("rfc6120")
		tr.In("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 51, false, lab.Input{Kind: "element", Name: "starttls", StartTLS: true})
		tr.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "cert-expired.localhost", "none")
		tr.In("<stream:stream to='localhost' version='1.0'>", 60, false, header)
		tr.In("<auth mechanism='SCRAM-SHA-256'>[redacted]</auth>", 90, true, lab.Input{Kind: "element", Name: "auth", Mechanism: "SCRAM-SHA-256"})
		tr.End("client closed the stream")
	case "cert-unasked":
		tr.SetDialect("legacy")
		tr.In("<stream:stream to='localhost'>", 40, false, header)
		tr.End("client closed the stream")
	case "standard", "live":
		tr.SetDialect("rfc6120")
		tr.In("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 51, false, lab.Input{Kind: "element", Name: "starttls", StartTLS: true})
		tr.TLSEstablished("TLS 1.3", "TLS_AES_256_GCM_SHA384", "localhost", "CN=alice@localhost (verified)")
		tr.Auth("EXTERNAL", "alice@localhost", true, "")
		if o.live {
			return
		}
		tr.End("client closed the stream")
	case "irc-plain":
		tr.SetDialect("irc")
		tr.In("AUTHENTICATE [redacted]", 30, true, lab.Input{Kind: "line", Name: "AUTHENTICATE", Credentials: true, Mechanism: "PLAIN"})
		tr.End("Client Quit")
	default:
		t.Fatalf("no outcome %s", o.name)
	}
}

// expect returns the ids (newest first) of the connections whose outcome
// passes keep.
func (f *manyFixture) expect(keep func(outcome) bool) []string {
	var out []string
	for i := len(f.ids) - 1; i >= 0; i-- {
		if keep(f.kind[i]) {
			out = append(out, f.ids[i])
		}
	}
	return out
}

// checkOutcomes fails when a connection's verdict is not its outcome's:
// the fixture would test nothing.
func (f *manyFixture) checkOutcomes(t *testing.T) {
	t.Helper()
	for i, id := range f.ids {
		tr, ok := f.rec.Get(id)
		if !ok {
			t.Fatalf("%s is gone", id)
		}
		s := tr.Summary()
		if s.Verdict != f.kind[i].verdict || s.Live != f.kind[i].live {
			t.Fatalf("fixture %s (%s): verdict %s (%s), live %v; want %s, live %v", id, f.kind[i].name, s.Verdict, s.Reason, s.Live, f.kind[i].verdict, f.kind[i].live)
		}
	}
}
