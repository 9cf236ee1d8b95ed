package negotiation

import (
	"crypto/tls"
	"strings"
	"testing"

	"jabberd/stream"
	"jabberd/tlspolicy"
)

// BenchmarkStartTLSStandard is one connection's STARTTLS negotiation with
// no lab profile: header and features, <starttls/> and <proceed/>, the
// handshake's outcome, the new header and its features. The lab's knobs
// on this path must cost it nothing (compare with the same benchmark on a
// tree without them).
func BenchmarkStartTLSStandard(b *testing.B) {
	const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"
	first := benchEvents(b, header+"<starttls xmlns='"+NSTLS+"'/>")
	second := benchEvents(b, header)
	cfg := &Config{Domain: "localhost", TLS: tlspolicy.Optional, NewID: func() string { return "id" }}
	info := &TLSInfo{Version: tls.VersionTLS13}
	b.ReportAllocs()
	for b.Loop() {
		m := New(cfg)
		for _, ev := range first {
			m.Handle(ev)
		}
		m.Handle(TLSEvent{Info: info})
		for _, ev := range second {
			m.Handle(ev)
		}
		if m.State() != Negotiating || m.Facts()&Secure == 0 {
			b.Fatalf("state %v facts %v", m.State(), m.Facts())
		}
	}
}

// benchEvents tokenizes a client's input into the machine's events.
func benchEvents(b *testing.B, in string) []Event {
	r := stream.NewReader(strings.NewReader(in), stream.Limits{MaxBytes: 4096, MaxDepth: 8}, 64)
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return evs
		}
		switch ev.Kind {
		case stream.KindHeader:
			evs = append(evs, HeaderEvent{ev.Header})
		case stream.KindElement:
			evs = append(evs, ElementEvent{ev.Element, ev.Space})
		default:
			b.Fatalf("unexpected event %v", ev.Kind)
		}
	}
}
