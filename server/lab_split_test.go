package server

import (
	"strings"
	"testing"

	"jabberd/lab"
)

// TestSplitXMPP: what a client sent where its ClientHello belonged is cut
// into tags that account for every byte on the wire, and a PLAIN payload
// is never kept.
func TestSplitXMPP(t *testing.T) {
	in := "\n<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHB3</auth><auth mechanism='" + lab.InjectedMechanism + "'/></stream:stream>"
	pieces := splitXMPP([]byte(in))
	n := 0
	for _, p := range pieces {
		n += p.N
		if strings.Contains(string(p.Data), "AGFsaWNlAHB3") {
			t.Errorf("a piece keeps the PLAIN payload: %q", p.Data)
		}
	}
	if n != len(in) {
		t.Errorf("pieces account for %d bytes, the input has %d", n, len(in))
	}
	if len(pieces) < 4 || !pieces[0].What.Credentials || !pieces[0].Redacted || !pieces[2].What.Injected || pieces[3].What.Kind != "close" {
		t.Errorf("pieces = %+v", pieces)
	}
}
