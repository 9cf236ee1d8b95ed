package server

import (
	"strings"
	"testing"
)

// TestSplitXMPPPrefixed: a legacy client that answers an injected stream
// header (inject-stream-header) in plaintext where its ClientHello belongs
// writes prefixed tags — <sasl:auth>, <tls:starttls/> — which are read by
// their local names: the PLAIN payload is consumed and never kept, the
// STARTTLS request is one, and the header and the close are what they are.
// A SASL <response> with a payload is a secret too.
func TestSplitXMPPPrefixed(t *testing.T) {
	const secret, proof = "AGFsaWNlAGFsaWNlLXB3", "Yz1iaXdzLHI9cHJvb2Y="
	in := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:s='http://www.iana.org/assignments/sasl-mechanisms' to='localhost'>" +
		"<s:auth mechanism='PLAIN'>" + secret + "</s:auth><s:response>" + proof + "</s:response><t:starttls xmlns:t='http://www.ietf.org/rfc/rfc2595.txt'/></s:stream>"
	pieces := splitXMPP([]byte(in))
	n := 0
	var got []string
	for _, p := range pieces {
		n += p.N
		got = append(got, p.What.Kind+":"+p.What.Name)
		if strings.Contains(string(p.Data), secret) || strings.Contains(string(p.Data), proof) {
			t.Errorf("a piece keeps a SASL payload: %q", p.Data)
		}
	}
	if n != len(in) {
		t.Errorf("pieces account for %d bytes, the input has %d", n, len(in))
	}
	want := []string{"header:stream:stream", "element:auth", "element:/auth", "element:response", "element:/response", "element:starttls", "close:/s:stream"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("pieces %q, want %q", got, want)
	}
	if w := pieces[1].What; w.Mechanism != "PLAIN" || !w.Credentials || !pieces[1].Redacted {
		t.Errorf("<s:auth mechanism='PLAIN'> read as %+v (redacted %v)", w, pieces[1].Redacted)
	}
	if !pieces[3].What.Credentials || !pieces[3].Redacted {
		t.Errorf("<s:response> read as %+v (redacted %v)", pieces[3].What, pieces[3].Redacted)
	}
	if !pieces[5].What.StartTLS {
		t.Errorf("<t:starttls/> read as %+v", pieces[5].What)
	}
}
